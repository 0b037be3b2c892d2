fn main() {
    if let Err(e) = veille::cli::run() {
        // A closed pipe (`veille export | head`) is the reader's choice, not an error.
        if e.chain().any(|c| c.downcast_ref::<std::io::Error>().map(|io| io.kind() == std::io::ErrorKind::BrokenPipe).unwrap_or(false)) {
            return;
        }
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
