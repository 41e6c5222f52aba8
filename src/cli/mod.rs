//! Command-line parsing (what the user typed) and dispatch. The only layer,
//! with the network one, that reads the wall clock.

use clap::{Parser, Subcommand};

mod proto;

#[derive(Parser)]
#[command(
    name = "parksim",
    version,
    about = "Reservation-garage simulator and T/SZPIA 001-2020 protocol tools"
)]
struct Cli {
    #[command(subcommand)]
    command: Top,
}

#[derive(Subcommand)]
enum Top {
    /// Protocol tools: sign, encode, decode and check messages of T/SZPIA 001-2020.
    Proto {
        #[command(subcommand)]
        cmd: proto::ProtoCmd,
    },
}

/// Runs the command line; returns the process exit status.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    let result = match cli.command {
        Top::Proto { cmd } => proto::run(cmd),
    };
    match result {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("parksim: {msg}");
            1
        }
    }
}

/// Seconds since 1970 by the wall clock.
pub(crate) fn wall_clock_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
