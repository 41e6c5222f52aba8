//! Observed occupancy: the samples a calibration fits, read from the
//! Birmingham car-park file or from a platform database, and their mean
//! share of stalls by time of day ([`Profile`]).
//!
//! Cleaning of the Birmingham file (each counted in [`Cleaning`]):
//! exact duplicate rows are dropped (the first is kept); an occupancy above
//! the capacity is clamped to the capacity (the excess is at most 4 %: cars
//! on unmarked spaces or a counter's drift, the car park was full); a
//! negative occupancy is dropped (a counter fault: no value can be
//! recovered). A row that cannot be read at all is an error naming its
//! line, never skipped silently.

use super::CalibrateError;
use crate::proto::time::DateTime;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::Path;

/// One observation: vehicles inside at a civil time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    pub at: DateTime,
    /// Vehicles inside [vehicles].
    pub used: f64,
}

/// What cleaning did to the rows of one car park.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cleaning {
    /// Rows of the chosen car park read.
    pub rows: u64,
    /// Exact duplicates dropped.
    pub duplicates: u64,
    /// Occupancy above capacity, clamped to the capacity.
    pub clamped: u64,
    /// Negative occupancy, dropped.
    pub negative: u64,
    /// Rows of other car parks, ignored.
    pub other: u64,
    /// Platform records without a readable time, skipped.
    pub unreadable: u64,
}

/// An occupancy series of one garage.
#[derive(Debug, Clone, PartialEq)]
pub struct Observed {
    /// Where it came from, for messages (`BHMBCCMKT01 (file.csv)`).
    pub source: String,
    /// The garage's code.
    pub garage: String,
    /// Stalls [stalls].
    pub capacity: u32,
    /// In time order.
    pub samples: Vec<Sample>,
    pub cleaning: Cleaning,
    /// Lengths of stay measured from exit records [min], when the source
    /// has them (a platform database).
    pub stays_min: Vec<f64>,
}

/// How the arrival profile is shaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProfileKind {
    /// One profile for every day (`demand.arrivals_per_hour`).
    Daily,
    /// One per weekday, Monday first (`demand.arrivals_per_hour_by_weekday`).
    Weekday,
}

/// Half-hour bins per day.
pub const BINS: usize = 48;

/// Monday = 0 of a day count since 1970-01-01 (a Thursday).
pub fn weekday(day: i64) -> usize {
    (day + 3).rem_euclid(7) as usize
}

/// Mean occupancy share by time of day: per class (1 for daily, 7
/// weekdays Monday first) and half-hour bin, averaged over days (a day's
/// samples in one bin are averaged first).
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub kind: ProfileKind,
    /// `share[class][bin]` [share of stalls], `None` where never observed.
    pub share: Vec<[Option<f64>; BINS]>,
    /// Days behind each cell.
    pub days: Vec<[u32; BINS]>,
}

impl Profile {
    /// The profile of `samples` over `capacity` stalls. A sample belongs to
    /// the nearest half hour.
    pub fn of(samples: &[Sample], capacity: u32, kind: ProfileKind) -> Profile {
        let mut by_day: BTreeMap<(i64, usize), (f64, u32)> = BTreeMap::new();
        for s in samples {
            let secs = s.at.secs() + 900;
            let day = secs.div_euclid(86_400);
            let bin = (secs.rem_euclid(86_400) / 1800) as usize;
            let e = by_day.entry((day, bin)).or_insert((0.0, 0));
            e.0 += s.used;
            e.1 += 1;
        }
        let classes = match kind {
            ProfileKind::Daily => 1,
            ProfileKind::Weekday => 7,
        };
        let mut sum = vec![[0.0f64; BINS]; classes];
        let mut days = vec![[0u32; BINS]; classes];
        for ((day, bin), (total, n)) in by_day {
            let c = match kind {
                ProfileKind::Daily => 0,
                ProfileKind::Weekday => weekday(day),
            };
            sum[c][bin] += total / n as f64 / capacity.max(1) as f64;
            days[c][bin] += 1;
        }
        let share = sum
            .iter()
            .zip(&days)
            .map(|(s, d)| std::array::from_fn(|b| (d[b] > 0).then(|| s[b] / d[b] as f64)))
            .collect();
        Profile { kind, share, days }
    }

    /// The cells observed: (class, bin, share).
    pub fn cells(&self) -> impl Iterator<Item = (usize, usize, f64)> + '_ {
        self.share.iter().enumerate().flat_map(|(c, row)| {
            row.iter()
                .enumerate()
                .filter_map(move |(b, s)| s.map(|s| (c, b, s)))
        })
    }

    /// Mean share by bin over every class, weighted by days observed.
    pub fn pooled(&self) -> [Option<f64>; BINS] {
        std::array::from_fn(|b| {
            let (mut s, mut n) = (0.0, 0u32);
            for (row, d) in self.share.iter().zip(&self.days) {
                if let Some(x) = row[b] {
                    s += x * d[b] as f64;
                    n += d[b];
                }
            }
            (n > 0).then(|| s / n as f64)
        })
    }
}

/// Root mean square difference of `sim` from `obs` over the cells `obs`
/// observed [share of stalls]; `None` if they share no cell.
pub fn rmse(obs: &Profile, sim: &Profile) -> Option<f64> {
    let (mut s, mut n) = (0.0, 0u32);
    for (c, b, x) in obs.cells() {
        if let Some(y) = sim.share.get(c).and_then(|r| r[b]) {
            s += (x - y).powi(2);
            n += 1;
        }
    }
    (n > 0).then(|| (s / n as f64).sqrt())
}

impl Observed {
    /// Distinct days (since 1970) with samples, in order.
    pub fn days(&self) -> Vec<i64> {
        let set: BTreeSet<i64> = self.samples.iter().map(|s| s.at.day()).collect();
        set.into_iter().collect()
    }

    /// Splits the samples at the start of `day` (days since 1970): before,
    /// and from that day on.
    pub fn split_at_day(&self, day: i64) -> (Observed, Observed) {
        let (a, b): (Vec<Sample>, Vec<Sample>) =
            self.samples.iter().partition(|s| s.at.day() < day);
        let with = |samples| Observed {
            samples,
            ..self.clone()
        };
        (with(a), with(b))
    }

    /// The profile kind `auto` picks: per weekday when every weekday has at
    /// least two days of samples, else daily.
    pub fn auto_kind(&self) -> ProfileKind {
        let mut n = [0u32; 7];
        for d in self.days() {
            n[weekday(d)] += 1;
        }
        if n.iter().all(|&k| k >= 2) {
            ProfileKind::Weekday
        } else {
            ProfileKind::Daily
        }
    }
}

/// Reads the Birmingham car-park file (no header:
/// `SystemCodeNumber,Capacity,Occupancy,LastUpdated`) for one car park.
/// With `garage` `None` the file must hold exactly one. `capacity`
/// overrides the file's.
pub fn read_birmingham(
    path: &Path,
    garage: Option<&str>,
    capacity: Option<u32>,
) -> Result<Observed, CalibrateError> {
    let text = std::fs::read_to_string(path).map_err(|e| CalibrateError::Input {
        source: path.display().to_string(),
        message: format!("cannot read: {e}"),
    })?;
    parse_birmingham(&text, &path.display().to_string(), garage, capacity)
}

/// [`read_birmingham`] over the file's text; `label` names it in messages.
pub fn parse_birmingham(
    text: &str,
    label: &str,
    garage: Option<&str>,
    capacity: Option<u32>,
) -> Result<Observed, CalibrateError> {
    struct Row<'a> {
        code: &'a str,
        cap: u32,
        occ: i64,
        at: DateTime,
    }
    let bad = |line: usize, message: String| CalibrateError::BadRow {
        source: label.to_string(),
        line,
        message,
    };
    let mut rows = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split(',').map(str::trim).collect();
        if f.len() != 4 {
            return Err(bad(
                i + 1,
                format!(
                    "expected 4 fields (SystemCodeNumber,Capacity,Occupancy,LastUpdated), got {}",
                    f.len()
                ),
            ));
        }
        if f[0].is_empty() {
            return Err(bad(i + 1, "empty SystemCodeNumber".into()));
        }
        let cap: u32 = f[1]
            .parse()
            .map_err(|_| bad(i + 1, format!("capacity `{}` is not a whole number", f[1])))?;
        let occ: i64 = f[2]
            .parse()
            .map_err(|_| bad(i + 1, format!("occupancy `{}` is not a whole number", f[2])))?;
        let at = DateTime::parse(f[3]).map_err(|e| bad(i + 1, e.to_string()))?;
        rows.push(Row {
            code: f[0],
            cap,
            occ,
            at,
        });
    }
    if rows.is_empty() {
        return Err(CalibrateError::Empty {
            source: label.to_string(),
            message: "no rows".into(),
        });
    }
    let codes: BTreeSet<&str> = rows.iter().map(|r| r.code).collect();
    let code = match garage {
        Some(g) => {
            if !codes.contains(g) {
                return Err(CalibrateError::UnknownGarage {
                    garage: g.to_string(),
                    known: codes.iter().map(|s| s.to_string()).collect(),
                });
            }
            g
        }
        None if codes.len() == 1 => codes.iter().next().copied().unwrap_or_default(),
        None => {
            return Err(CalibrateError::ChooseGarage {
                known: codes.iter().map(|s| s.to_string()).collect(),
            });
        }
    };
    let mut cleaning = Cleaning::default();
    // The capacity the file gives most often for this car park.
    let mut caps: BTreeMap<u32, u32> = BTreeMap::new();
    for r in rows.iter().filter(|r| r.code == code) {
        *caps.entry(r.cap).or_insert(0) += 1;
    }
    let file_cap = caps
        .iter()
        .max_by_key(|(c, n)| (**n, **c))
        .map(|(c, _)| *c)
        .unwrap_or(0);
    let cap = capacity.unwrap_or(file_cap);
    if cap == 0 {
        return Err(CalibrateError::Input {
            source: label.to_string(),
            message: format!("{code}: capacity 0; give --capacity"),
        });
    }
    let mut seen: HashSet<(u32, i64, i64)> = HashSet::new();
    let mut samples = Vec::new();
    for r in &rows {
        if r.code != code {
            cleaning.other += 1;
            continue;
        }
        cleaning.rows += 1;
        if !seen.insert((r.cap, r.occ, r.at.secs())) {
            cleaning.duplicates += 1;
            continue;
        }
        if r.occ < 0 {
            cleaning.negative += 1;
            continue;
        }
        let mut used = r.occ as f64;
        if used > cap as f64 {
            cleaning.clamped += 1;
            used = cap as f64;
        }
        samples.push(Sample { at: r.at, used });
    }
    samples.sort_by_key(|s| s.at.secs());
    if samples.is_empty() {
        return Err(CalibrateError::Empty {
            source: label.to_string(),
            message: format!("no usable rows for {code}"),
        });
    }
    Ok(Observed {
        source: format!("{code} ({label})"),
        garage: code.to_string(),
        capacity: cap,
        samples,
        cleaning,
        stays_min: Vec::new(),
    })
}

/// Reads a garage's occupancy from the SQLite database `parksim platform
/// serve` writes (table `records`, see `net::store`).
///
/// The store keeps the latest 5003 space count per garage (by envelope
/// timestamp) and every entry (5004) and exit (5005) record once, so the
/// series is rebuilt from the records: vehicles inside at `t` = entries by
/// `t` − exits by `t`, sampled every 30 minutes between the first and the
/// last record, and shifted so that it agrees with the stored 5003
/// `usedStalls` at its timestamp (cars that entered before the first
/// record). Stays are measured from the exit records. Without entry and
/// exit records, the stored 5003 counts themselves are the samples (at
/// least two are needed).
///
/// Capacity: `capacity`, else the 5003 count's used + unused + reserved
/// stalls, else 3001 `totalStalls`.
pub fn read_platform_db(
    path: &Path,
    park_code: &str,
    capacity: Option<u32>,
) -> Result<Observed, CalibrateError> {
    use rusqlite::{Connection, OpenFlags};
    let label = path.display().to_string();
    let dberr = |e: rusqlite::Error| CalibrateError::Input {
        source: label.clone(),
        message: format!("not a readable platform database: {e}"),
    };
    if !path.is_file() {
        return Err(CalibrateError::Input {
            source: label.clone(),
            message: "no such database file".into(),
        });
    }
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(dberr)?;
    let has_table: bool = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'records'",
            [],
            |r| r.get::<_, i64>(0),
        )
        .map_err(dberr)?
        > 0;
    if !has_table {
        return Err(CalibrateError::Input {
            source: label.clone(),
            message: "no `records` table: not a database written by `parksim platform serve`"
                .into(),
        });
    }
    let rows_of = |kind: &str| -> Result<Vec<(String, String, i64, String)>, CalibrateError> {
        let mut st = conn
            .prepare(
                "SELECT account, key, ts, body FROM records WHERE kind = ?1 ORDER BY account, key",
            )
            .map_err(dberr)?;
        let it = st
            .query_map([kind], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .map_err(dberr)?;
        it.collect::<Result<Vec<_>, _>>().map_err(dberr)
    };
    let json = |body: &str, what: &str| -> Result<serde_json::Value, CalibrateError> {
        serde_json::from_str(body).map_err(|e| CalibrateError::Input {
            source: label.clone(),
            message: format!("a stored {what} record is not JSON: {e}"),
        })
    };
    let int = |v: &serde_json::Value, k: &str| -> Option<i64> {
        let x = &v[k];
        x.as_i64()
            .or_else(|| x.as_str().and_then(|s| s.trim().parse().ok()))
            .or_else(|| x.as_f64().map(|f| f as i64))
    };
    let time = |v: &serde_json::Value, k: &str| -> Option<DateTime> {
        v[k].as_str().and_then(|s| DateTime::parse(s.trim()).ok())
    };

    let spaces = rows_of("5003")?;
    let infos = rows_of("3001")?;
    let mut known: BTreeSet<String> = spaces.iter().map(|r| r.1.clone()).collect();
    known.extend(infos.iter().map(|r| r.1.clone()));
    let mut accounts: BTreeSet<String> = spaces
        .iter()
        .chain(&infos)
        .filter(|r| r.1 == park_code)
        .map(|r| r.0.clone())
        .collect();

    // Entries and exits of this garage: parkCode when the record has one,
    // else the account's.
    let mut entries: Vec<DateTime> = Vec::new();
    let mut exits: Vec<(DateTime, DateTime)> = Vec::new();
    let mut bad_records = 0u64;
    for (kind, what) in [("5004", "entry"), ("5005", "exit")] {
        for (account, _, _, body) in rows_of(kind)? {
            let v = json(&body, what)?;
            let code = v["parkCode"].as_str().map(str::to_string);
            if let Some(c) = &code {
                known.insert(c.clone());
            }
            let mine = match &code {
                Some(c) => c == park_code,
                None => accounts.contains(&account),
            };
            if !mine {
                continue;
            }
            accounts.insert(account);
            match (kind, time(&v, "enterTime"), time(&v, "leaveTime")) {
                ("5004", Some(t), _) => entries.push(t),
                ("5005", Some(a), Some(b)) if b.secs() >= a.secs() => exits.push((a, b)),
                _ => bad_records += 1,
            }
        }
    }
    if !known.contains(park_code) {
        return Err(CalibrateError::UnknownGarage {
            garage: park_code.to_string(),
            known: known.into_iter().collect(),
        });
    }
    let counts: Vec<(i64, i64, i64)> = spaces
        .iter()
        .filter(|r| r.1 == park_code)
        .filter_map(|r| {
            let v = serde_json::from_str::<serde_json::Value>(&r.3).ok()?;
            let used = int(&v, "usedStalls")?;
            let total = used
                + int(&v, "unusedStalls").unwrap_or(0)
                + int(&v, "reservedStalls").unwrap_or(0);
            Some((r.2, used, total))
        })
        .collect();
    let info_total = infos
        .iter()
        .filter(|r| r.1 == park_code)
        .filter_map(|r| {
            let v = serde_json::from_str::<serde_json::Value>(&r.3).ok()?;
            int(&v["parkInfo"], "totalStalls")
        })
        .max();
    let cap = match capacity {
        Some(c) => c,
        None => counts
            .iter()
            .map(|c| c.2)
            .max()
            .or(info_total)
            .filter(|&c| c > 0)
            .and_then(|c| u32::try_from(c).ok())
            .ok_or_else(|| CalibrateError::Input {
                source: label.clone(),
                message: format!(
                    "{park_code}: no stored 5003 count or 3001 totalStalls gives the capacity; give --capacity"
                ),
            })?,
    };
    let mut cleaning = Cleaning {
        rows: (entries.len() + exits.len() + counts.len()) as u64,
        unreadable: bad_records,
        ..Cleaning::default()
    };
    let source = format!("{park_code} ({label})");
    let stays_min: Vec<f64> = exits
        .iter()
        .map(|(a, b)| (b.secs() - a.secs()) as f64 / 60.0)
        .collect();

    let samples = if entries.is_empty() && exits.is_empty() {
        if counts.len() < 2 {
            return Err(CalibrateError::Empty {
                source: source.clone(),
                message: format!(
                    "{} space count(s) and no entry or exit records: a calibration needs a series",
                    counts.len()
                ),
            });
        }
        let mut s: Vec<Sample> = counts
            .iter()
            .map(|&(ts, used, _)| Sample {
                at: DateTime(ts),
                used: (used.max(0) as f64).min(cap as f64),
            })
            .collect();
        s.sort_by_key(|x| x.at.secs());
        s
    } else {
        // Step function of vehicles inside.
        let mut ev: Vec<(i64, i64)> = entries.iter().map(|t| (t.secs(), 1)).collect();
        ev.extend(exits.iter().map(|(_, b)| (b.secs(), -1)));
        ev.sort();
        let first = ev.first().map(|e| e.0).unwrap_or(0);
        let last = ev.last().map(|e| e.0).unwrap_or(0);
        let inside_at = |t: i64| -> i64 { ev.iter().take_while(|e| e.0 <= t).map(|e| e.1).sum() };
        // Offset (cars that entered before the first record): agree with
        // the latest stored count inside the records' span, and never
        // below the shift that keeps the series >= 0.
        let anchored = counts
            .iter()
            .filter(|c| c.0 >= first && c.0 <= last)
            .max_by_key(|c| c.0)
            .map(|&(ts, used, _)| used - inside_at(ts));
        let mut run = 0i64;
        let mut lowest = 0i64;
        for e in &ev {
            run += e.1;
            lowest = lowest.min(run);
        }
        let offset = anchored.unwrap_or(0).max(-lowest);
        let mut out = Vec::new();
        let mut t = first.div_euclid(1800) * 1800 + 1800;
        let (mut i, mut inside) = (0usize, offset);
        while t <= last {
            while i < ev.len() && ev[i].0 <= t {
                inside += ev[i].1;
                i += 1;
            }
            let used = inside.max(0) as f64;
            if used > cap as f64 {
                cleaning.clamped += 1;
            }
            out.push(Sample {
                at: DateTime(t),
                used: used.min(cap as f64),
            });
            t += 1800;
        }
        out
    };
    if samples.is_empty() {
        return Err(CalibrateError::Empty {
            source,
            message: "the records span less than half an hour".into(),
        });
    }
    Ok(Observed {
        source,
        garage: park_code.to_string(),
        capacity: cap,
        samples,
        cleaning,
        stays_min,
    })
}
