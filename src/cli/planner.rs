//! `parksim sweep`, `parksim merge`, `parksim plan`.

use super::progress::{Mode, Progress};
use parksim::planner::output::write_rows;
use parksim::planner::output::{
    merged_sweep, prepare_out, read_merge, write_all, write_provenance,
};
use parksim::planner::plan::{PlanSpec, Target, evidence_rows, plan};
use parksim::planner::{Shard, Sweep, point_stats, run_sweep};
use std::path::PathBuf;
use std::time::Instant;

pub(super) fn threads_or_all(threads: Option<usize>) -> usize {
    threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

pub fn sweep(
    file: PathBuf,
    out: PathBuf,
    threads: Option<usize>,
    shard: Option<Shard>,
    quiet: bool,
    progress_every: Option<usize>,
    force: bool,
) -> Result<i32, String> {
    let text = std::fs::read_to_string(&file)
        .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let dir = file.parent().map(PathBuf::from).unwrap_or_default();
    let sweep = Sweep::from_toml(&text, &dir).map_err(|e| format!("{}: {e}", file.display()))?;
    let here = (0..sweep.total())
        .filter(|i| shard.is_none_or(|s| i % s.count == s.index))
        .count();
    if here == 0
        && let Some(s) = shard
    {
        // Tables without a row would have no header either.
        return Err(format!(
            "shard {}/{} holds no runs: the sweep has {} runs, so only shards 0 to {} have any (nothing was run)",
            s.index,
            s.count,
            sweep.total(),
            sweep.total().min(s.count).saturating_sub(1)
        ));
    }
    // Before the first run: `--out` must take the results.
    prepare_out(&out, &sweep.fingerprint(), force).map_err(|e| e.to_string())?;
    let threads = threads_or_all(threads);
    if !quiet {
        eprintln!(
            "{}: {} grid points x {} replications = {} runs{} on {threads} threads",
            file.display(),
            sweep.points.len(),
            sweep.replications,
            sweep.total(),
            shard.map_or(String::new(), |s| format!(
                " (shard {}/{})",
                s.index, s.count
            ))
        );
    }
    let progress = Progress::new(Mode::for_stderr(quiet, progress_every, here), here);
    let t = Instant::now();
    let runs =
        run_sweep(&sweep, threads, shard, &|d, _| progress.tick(d)).map_err(|e| e.to_string())?;
    let secs = t.elapsed().as_secs_f64();
    write_all(&out, &runs)?;
    write_provenance(&out, &sweep, shard, runs.len())?;
    plots(&out, quiet);
    super::report::after(&out, quiet);
    if !quiet {
        eprintln!(
            "{} runs in {secs:.1} s ({:.1} runs/s); tables in {}",
            runs.len(),
            runs.len() as f64 / secs.max(1e-9),
            out.display()
        );
    }
    Ok(checks_exit(&runs))
}

/// 3 when a run broke conservation or did not reconcile (said on stderr,
/// after its results are written), else 0.
fn checks_exit(runs: &[parksim::planner::RunRecord]) -> i32 {
    let broken = parksim::sim::summary::failed_checks(runs.iter().map(|r| &r.summary));
    if broken > 0 {
        eprintln!("parksim: {broken} runs broke conservation or did not reconcile (see runs.csv)");
        return 3;
    }
    0
}

/// Draws the sweep plots; a sweep without a numeric swept parameter has none.
fn plots(out: &std::path::Path, quiet: bool) {
    if let Err(e) = parksim::plot::plot_sweep(out)
        && !quiet
    {
        eprintln!("parksim: no plots: {e}");
    }
}

pub fn merge(dirs: Vec<PathBuf>, out: PathBuf, force: bool) -> Result<i32, String> {
    let runs = read_merge(&dirs)?;
    let fingerprint = runs.first().map(|r| r.sweep.clone()).unwrap_or_default();
    prepare_out(&out, &fingerprint, force).map_err(|e| e.to_string())?;
    write_all(&out, &runs)?;
    if let Some(sweep) = merged_sweep(&dirs) {
        write_provenance(&out, &sweep, None, runs.len())?;
    }
    plots(&out, true);
    super::report::after(&out, true);
    eprintln!(
        "{} runs from {} directories, {} grid points; tables in {}",
        runs.len(),
        dirs.len(),
        point_stats(&runs).len(),
        out.display()
    );
    Ok(checks_exit(&runs))
}

#[allow(clippy::too_many_arguments)]
pub fn plan_cmd(
    file: Option<PathBuf>,
    knob: String,
    range: String,
    step: Option<String>,
    targets: Vec<String>,
    replications: u32,
    threads: Option<usize>,
    sets: Vec<String>,
    out: Option<PathBuf>,
) -> Result<i32, String> {
    let (label, text) = super::scenario_text(&file)?;
    let targets: Vec<Target> = targets
        .iter()
        .map(|t| t.parse())
        .collect::<Result<_, _>>()?;
    if targets.is_empty() {
        return Err(
            "give at least one --target, e.g. --target \"booking_success_rate>=0.5\"".into(),
        );
    }
    // Before running: an --out that cannot be written would lose the table.
    let created = match &out {
        Some(o) => {
            let existed = o.exists();
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(o)
                .map_err(|e| {
                    format!("cannot write --out {}: {e} (nothing was run)", o.display())
                })?;
            (!existed).then(|| o.clone())
        }
        None => None,
    };
    let spec = PlanSpec {
        base_text: text,
        sets,
        knob: knob.clone(),
        range,
        step,
        targets: targets.clone(),
        replications,
        threads: threads_or_all(threads),
    };
    let p = match plan(&spec) {
        Ok(p) => p,
        Err(e) => {
            // No table: leave no empty file behind.
            if let Some(o) = created {
                let _ = std::fs::remove_file(o);
            }
            return Err(format!("{label}: {e}"));
        }
    };
    let short = knob.rsplit('.').next().unwrap_or(&knob);
    let w = short.len().max(8);
    print!("{short:>w$}");
    for t in &targets {
        print!("  {:>40}", t.to_string());
    }
    println!("  meets");
    for e in &p.evidence {
        print!("{:>w$}", e.value.text);
        for (s, ok) in &e.targets {
            let cell = match (s.mean, s.ci_low, s.ci_high) {
                (Some(m), Some(lo), Some(hi)) => format!("{m:.4} [{lo:.4}, {hi:.4}]"),
                (Some(m), _, _) => format!("{m:.4} [n/a]"),
                _ => "n/a".to_string(),
            };
            let n = if s.n < replications as usize {
                format!(" ({} runs)", s.n)
            } else {
                String::new()
            };
            print!(
                "  {:>40}",
                format!("{cell}{n} {}", if *ok { "ok" } else { "no" })
            );
        }
        println!("  {}", if e.meets { "yes" } else { "no" });
    }
    for line in p.trend_lines(&targets) {
        println!("{line}");
    }
    for line in p.answer_lines(&targets) {
        println!("{line}");
    }
    if let Some(o) = &out {
        write_rows(o, &evidence_rows(&p, &targets))?;
        println!("evidence table in {}", o.display());
    }
    Ok(if p.answer.is_some() { 0 } else { 1 })
}
