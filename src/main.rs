//! The `endring` command line.

fn main() {
    println!("endring {}", env!("CARGO_PKG_VERSION"));
}
