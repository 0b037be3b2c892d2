fn main() {
    // Like other Unix filters, end quietly when the reader of our output goes away (`| head`).
    #[cfg(unix)]
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    // The encoder allocates and frees buffers of tens of MB per layer; glibc would hand each back
    // to the kernel and take fresh zeroed pages for the next (a quarter of the run in page faults).
    // Keeping them in the heap makes reuse free.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 512 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 30);
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
