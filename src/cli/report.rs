//! `parksim report DIR`, and the report `run --out`, `sweep` and `merge`
//! write after their plots.

use parksim::planner::plan::Target;
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub struct ReportArgs {
    /// The --out directory of `parksim run`, `sweep` or `merge`.
    pub dir: PathBuf,
    /// Write the page here (default: DIR/report.html).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// metric>=value or metric<=value, judged on the 95 % CI of each grid
    /// point of a sweep (repeatable; default: booking_success_rate>=0.95,
    /// walkin_blocking_rate<=0.05, p95_wait_s<=120).
    #[arg(long = "target")]
    pub targets: Vec<String>,
}

pub fn run(args: ReportArgs) -> Result<i32, String> {
    let targets: Vec<Target> = args
        .targets
        .iter()
        .map(|t| t.parse())
        .collect::<Result<_, _>>()?;
    let path = parksim::report::write(&args.dir, args.out.as_deref(), Some(&targets))
        .map_err(|e| e.to_string())?;
    println!("{}", path.display());
    Ok(0)
}

/// Writes `dir/report.html` with the default targets; a failure is
/// reported on stderr, never fatal (the results are written already).
pub fn after(dir: &Path, quiet: bool) {
    match parksim::report::write(dir, None, None) {
        Ok(p) if !quiet => eprintln!("report in {}", p.display()),
        Ok(_) => {}
        Err(e) => eprintln!("parksim: no report: {e}"),
    }
}
