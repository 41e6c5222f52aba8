//! A sweep's progress on stderr.
//!
//! On a terminal: one line redrawn in place (runs done, rate, ETA). In a
//! log (stderr not a terminal, as under a batch scheduler): one line per
//! `every` runs or per minute, whichever comes first, and one when the
//! last run is done, each stamped with the UTC time of day, so a cluster
//! log shows a sweep moving. `--quiet` prints nothing.
//!
//! [`Pace`] decides when a line is due and what it says from the elapsed
//! time it is given; only [`Progress`] reads the clock.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Instant;

/// Where progress goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Quiet,
    /// A terminal: one line redrawn at most every 200 ms.
    Terminal,
    /// A log: a line per `every` runs or per minute.
    Log {
        every: usize,
    },
}

impl Mode {
    /// The mode for stderr as it is: a terminal or not.
    pub fn for_stderr(quiet: bool, every: Option<usize>, total: usize) -> Mode {
        if quiet {
            Mode::Quiet
        } else if std::io::stderr().is_terminal() {
            Mode::Terminal
        } else {
            Mode::Log {
                every: every.unwrap_or_else(|| default_every(total)).max(1),
            }
        }
    }
}

/// A line per 5 % of the runs (at least one run).
pub fn default_every(total: usize) -> usize {
    total.div_ceil(20).max(1)
}

/// The seconds between log lines when runs are slow.
const LOG_PERIOD_S: f64 = 60.0;

/// When a line is due, from the runs done and the seconds elapsed.
#[derive(Debug)]
pub struct Pace {
    mode: Mode,
    total: usize,
    /// Runs done and seconds elapsed at the last line printed.
    last_done: usize,
    last_s: f64,
}

impl Pace {
    pub fn new(mode: Mode, total: usize) -> Pace {
        Pace {
            mode,
            total,
            last_done: 0,
            last_s: 0.0,
        }
    }

    /// The line to print now that `done` runs are done after `elapsed_s`
    /// seconds, if one is due. `clock` is the UTC time of day for log
    /// lines (`HH:MM:SS`).
    pub fn line(&mut self, done: usize, elapsed_s: f64, clock: &str) -> Option<String> {
        let last = done >= self.total;
        let due = match self.mode {
            Mode::Quiet => false,
            Mode::Terminal => last || elapsed_s - self.last_s >= 0.2,
            Mode::Log { every } => {
                last || done >= self.last_done + every || elapsed_s - self.last_s >= LOG_PERIOD_S
            }
        };
        if !due || (done == self.last_done && done > 0) {
            return None;
        }
        self.last_done = done;
        self.last_s = elapsed_s;
        let rate = done as f64 / elapsed_s.max(1e-9);
        let eta = if done == 0 {
            "n/a".to_string()
        } else {
            format!("{:.0} s", (self.total - done.min(self.total)) as f64 / rate)
        };
        let pct = 100.0 * done as f64 / self.total.max(1) as f64;
        Some(match self.mode {
            Mode::Terminal => format!(
                "\r{done}/{} runs  {rate:.1} runs/s  ETA {eta}   {}",
                self.total,
                if last { "\n" } else { "" }
            ),
            _ => format!(
                "{clock} sweep: {done}/{} runs ({pct:.0} %), {rate:.2} runs/s, {elapsed_s:.0} s elapsed, ETA {eta}\n",
                self.total
            ),
        })
    }
}

/// [`Pace`] on the wall clock, shared by the sweep's worker threads.
pub struct Progress {
    start: Instant,
    pace: Mutex<Pace>,
}

impl Progress {
    pub fn new(mode: Mode, total: usize) -> Progress {
        Progress {
            start: Instant::now(),
            pace: Mutex::new(Pace::new(mode, total)),
        }
    }

    /// Called by a worker when run number `done` (of all) has finished.
    pub fn tick(&self, done: usize) {
        let Ok(mut pace) = self.pace.lock() else {
            return;
        };
        let clock = utc_time_of_day(super::wall_clock_secs());
        if let Some(line) = pace.line(done, self.start.elapsed().as_secs_f64(), &clock) {
            eprint!("{line}");
        }
    }
}

/// `HH:MM:SS` UTC of seconds since 1970.
pub fn utc_time_of_day(secs: i64) -> String {
    let s = secs.rem_euclid(86_400);
    format!("{:02}:{:02}:{:02}Z", s / 3600, s / 60 % 60, s % 60)
}

#[cfg(test)]
mod test {
    use super::*;

    fn lines(mode: Mode, total: usize, ticks: &[(usize, f64)]) -> Vec<String> {
        let mut p = Pace::new(mode, total);
        ticks
            .iter()
            .filter_map(|&(d, t)| p.line(d, t, "12:00:00Z"))
            .collect()
    }

    #[test]
    fn a_log_gets_a_line_per_every_runs_and_at_the_end() {
        let ticks: Vec<(usize, f64)> = (1..=10).map(|d| (d, d as f64)).collect();
        let got = lines(Mode::Log { every: 3 }, 10, &ticks);
        assert_eq!(got.len(), 4, "{got:?}"); // 3, 6, 9, 10
        assert!(got[0].starts_with("12:00:00Z sweep: 3/10 runs (30 %), 1.00 runs/s"));
        assert!(got[0].contains("ETA 7 s"), "{}", got[0]);
        assert!(got[3].contains("10/10 runs (100 %)") && got[3].contains("ETA 0 s"));
        assert!(got.iter().all(|l| l.ends_with('\n') && !l.contains('\r')));
    }

    #[test]
    fn slow_runs_still_get_a_line_a_minute() {
        // 100 runs, a line per 50, but each run takes 40 s.
        let ticks: Vec<(usize, f64)> = (1..=5).map(|d| (d, 40.0 * d as f64)).collect();
        let got = lines(Mode::Log { every: 50 }, 100, &ticks);
        // Lines at 80 s (60 s after the start) and 160 s (80 s after 80).
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(got[0].contains(" 2/100 runs") && got[1].contains(" 4/100 runs"));
    }

    #[test]
    fn quiet_prints_nothing_and_a_terminal_redraws() {
        assert!(lines(Mode::Quiet, 3, &[(1, 1.0), (2, 2.0), (3, 3.0)]).is_empty());
        let t = lines(Mode::Terminal, 3, &[(1, 0.1), (2, 0.5), (3, 0.6)]);
        assert_eq!(t.len(), 2, "{t:?}"); // 0.1 s is too soon; the last always
        assert!(t[0].starts_with('\r') && t[1].ends_with('\n'));
    }

    #[test]
    fn defaults_and_clock() {
        assert_eq!(default_every(3000), 150);
        assert_eq!(default_every(7), 1);
        assert_eq!(default_every(0), 1);
        assert_eq!(utc_time_of_day(86_400 + 3 * 3600 + 4 * 60 + 5), "03:04:05Z");
    }
}
