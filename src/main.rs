fn main() {
    println!("veille {}", env!("CARGO_PKG_VERSION"));
}
