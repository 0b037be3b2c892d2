fn main() {
    // Like other Unix filters, end quietly when the reader of our output goes away (`| head`).
    #[cfg(unix)]
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    if let Err(e) = veille::cli::run() {
        // A closed pipe (`veille export | head`) is the reader's choice, not an error.
        let broken_pipe = |c: &(dyn std::error::Error + 'static)| {
            c.downcast_ref::<std::io::Error>().map(|io| io.kind() == std::io::ErrorKind::BrokenPipe).unwrap_or(false)
                || c.downcast_ref::<serde_json::Error>().and_then(|j| j.io_error_kind()) == Some(std::io::ErrorKind::BrokenPipe)
        };
        if e.chain().any(broken_pipe) {
            return;
        }
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
