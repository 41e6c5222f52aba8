//! The `parksim` command line: a thin shell over the library.

/// `println!` for the whole command line: when stdout is closed early
/// (`parksim run --json | head -c 100`), the process ends quietly, as Unix
/// tools do, instead of panicking on the broken pipe.
macro_rules! println {
    () => {
        $crate::out_line(format_args!(""))
    };
    ($($t:tt)*) => {
        $crate::out_line(format_args!($($t)*))
    };
}

mod cli;

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn out_line(args: std::fmt::Arguments) {
    use std::io::Write;
    let mut o = std::io::stdout().lock();
    if let Err(e) = o.write_fmt(args).and_then(|_| o.write_all(b"\n")) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("parksim: cannot write to stdout: {e}");
        std::process::exit(1);
    }
}

fn main() {
    std::process::exit(cli::main());
}
