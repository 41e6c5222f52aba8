//! Scenario files: TOML describing a garage, its rules, its demand, its
//! fees and its network. Reading one checks every key: an unknown key, a
//! wrong type or a bad value is a [`ScenarioError`] naming the key and the
//! line.
//!
//! The embedded default ([`DEFAULT`], `scenarios/hospital.toml`) is a
//! hospital-area garage; the file's comments say where its numbers come from.

use crate::sim::dist::{Dist, DistSpec};
use serde::{Deserialize, Serialize};
use std::fmt;

/// More stalls than this is an error: no garage is that large.
pub const MAX_STALLS: u32 = 100_000;
/// More measured or warm-up days than this is an error (ten years).
pub const MAX_DAYS: u32 = 3_660;

/// The embedded default scenario (`scenarios/hospital.toml`).
pub const DEFAULT: &str = include_str!("../../scenarios/hospital.toml");

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    pub seed: u64,
    /// Simulated days after the warm-up [days].
    pub days: u32,
    /// Days simulated first and left out of the statistics [days].
    #[serde(default)]
    pub warmup_days: u32,
    pub garage: Garage,
    pub flow_control: FlowControl,
    pub demand: Demand,
    /// When the platform locks stalls, and the limits on changes.
    #[serde(default)]
    pub booking: Booking,
    pub fees: Fees,
    #[serde(default)]
    pub network: Network,
    /// How some figures are counted.
    #[serde(default)]
    pub metrics: Metrics,
}

/// `[metrics]`: thresholds of the run's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Metrics {
    /// A reserved driver is fulfilled who enters as reserved within this
    /// wait of arriving [s] (default 300).
    #[serde(default = "default_fulfilment_wait")]
    pub fulfilment_wait_s: f64,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            fulfilment_wait_s: default_fulfilment_wait(),
        }
    }
}

fn default_fulfilment_wait() -> f64 {
    300.0
}

/// `[booking]`: the platform's booking policy (6001 timing, 6.3 b/c).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Booking {
    /// How long before the driver's expected arrival the platform sends
    /// 6001, so that the garage locks a stall [min]; `"at_booking"`
    /// (default): at the moment the driver books.
    #[serde(default)]
    pub lock_ahead_min: LockAhead,
    /// Changes later than this before the booked time are refused (6.3 b)
    /// [min].
    #[serde(default = "default_until")]
    pub change_until_min: u32,
    /// Cancellations later than this before the booked time are refused
    /// (6.3 c) [min].
    #[serde(default = "default_until")]
    pub cancel_until_min: u32,
}

impl Default for Booking {
    fn default() -> Self {
        Booking {
            lock_ahead_min: LockAhead::default(),
            change_until_min: default_until(),
            cancel_until_min: default_until(),
        }
    }
}

fn default_until() -> u32 {
    30
}

/// `lock_ahead_min`: a number of minutes, or the word `"at_booking"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum LockAhead {
    Minutes(f64),
    Word(String),
}

impl Default for LockAhead {
    fn default() -> Self {
        LockAhead::Word("at_booking".into())
    }
}

impl LockAhead {
    /// Minutes ahead, `None` at booking.
    pub fn minutes(&self) -> Option<f64> {
        match self {
            LockAhead::Minutes(m) => Some(*m),
            LockAhead::Word(_) => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Garage {
    pub stalls: u32,
    pub reservable_stalls: u32,
    #[serde(default = "d070")]
    pub saturated_at: f64,
    #[serde(default = "d090")]
    pub full_at: f64,
    /// What the reservable pool sets aside: "shared" (default: general
    /// vehicles may park in pool stalls no booking holds) or "protected"
    /// (general vehicles never occupy more than stalls − reservable_stalls).
    #[serde(default)]
    pub pool: Pool,
    /// With one entrance: "reserved_first" ("reserved enter, general wait")
    /// or "manual" (manual confirmation, slower service).
    #[serde(default)]
    pub single_entrance: SingleEntrance,
    pub entrances: Vec<Entrance>,
    pub exits: Vec<Exit>,
}

fn d070() -> f64 {
    0.70
}
fn d090() -> f64 {
    0.90
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pool {
    #[default]
    Shared,
    Protected,
}

/// When "out N in 1" holds general vehicles back (6.8 b).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FullRuleWhen {
    /// Only while reserved vehicles queue too (the text of 6.8 b).
    #[default]
    BothQueue,
    /// Whenever the garage is full.
    Always,
}

/// Where the saturated 2 : 1 ratio counts (6.8 a).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RatioScope {
    /// Among the vehicles queued at one barrier.
    #[default]
    Barrier,
    /// Across the garage: one barrier may wait for the other's turn.
    Garage,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SingleEntrance {
    #[default]
    ReservedFirst,
    Manual,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntranceKind {
    Reserved,
    General,
    Mixed,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entrance {
    pub name: String,
    pub kind: EntranceKind,
    /// Service time per vehicle [s].
    pub service_s: DistSpec,
    /// Service time under manual confirmation [s] (default: 3 × service_s mean, constant).
    #[serde(default)]
    pub manual_service_s: Option<DistSpec>,
    /// Lane conversions: at these times the lane becomes general, then back.
    #[serde(default)]
    pub open_to_general: Vec<Window>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exit {
    pub name: String,
    /// Service time per vehicle [s].
    pub service_s: DistSpec,
}

/// A daily window "HH:MM" to "HH:MM".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Window {
    pub on: String,
    pub off: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FullRule {
    Out1in1,
    Out2in1,
    Out3in1,
}

impl FullRule {
    /// N of "out N in 1".
    pub fn n(self) -> u32 {
        match self {
            FullRule::Out1in1 => 1,
            FullRule::Out2in1 => 2,
            FullRule::Out3in1 => 3,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WhenFull {
    Queue,
    Leave,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlowControl {
    /// The daily priority window (default 07:30-19:30).
    #[serde(default = "default_priority")]
    pub priority: Window,
    /// Reserved : general admitted while saturated and both wait.
    #[serde(default = "default_ratio")]
    pub saturated_ratio: [u32; 2],
    #[serde(default = "default_full_rule")]
    pub full_rule: FullRule,
    /// When the full rule applies: "both_queue" (default) or "always".
    #[serde(default)]
    pub full_rule_when: FullRuleWhen,
    /// Where the saturated ratio counts: "barrier" (default) or "garage".
    #[serde(default)]
    pub ratio_scope: RatioScope,
    /// "queue": a general driver waits for a stall; "leave": a general
    /// driver who finds no stall available to them leaves.
    #[serde(default = "default_when_full")]
    pub when_full: WhenFull,
    /// A general vehicle meeting a queue this long turns away [vehicles].
    #[serde(default = "default_max_queue")]
    pub max_queue: u32,
}

fn default_priority() -> Window {
    Window {
        on: "07:30".into(),
        off: "19:30".into(),
    }
}
fn default_ratio() -> [u32; 2] {
    [2, 1]
}
fn default_full_rule() -> FullRule {
    FullRule::Out2in1
}
fn default_when_full() -> WhenFull {
    WhenFull::Queue
}
fn default_max_queue() -> u32 {
    20
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Demand {
    /// 24 hourly arrival rates [vehicles/h], hour 0 first.
    #[serde(default)]
    pub arrivals_per_hour: Option<Vec<f64>>,
    /// Per weekday (Monday first), 7 × 24 rates; overrides the daily profile.
    #[serde(default)]
    pub arrivals_per_hour_by_weekday: Option<Vec<Vec<f64>>>,
    /// A constant arrival rate [vehicles/h] instead of a profile.
    #[serde(default)]
    pub arrival_rate: Option<f64>,
    /// Share of drivers who book through the platform [0..1].
    #[serde(default)]
    pub reserved_share: f64,
    /// Booking lead time before the booked time [min].
    #[serde(default = "default_lead")]
    pub lead_time_min: DistSpec,
    #[serde(default)]
    pub no_show: f64,
    #[serde(default)]
    pub cancel: f64,
    #[serde(default)]
    pub change: f64,
    /// How far a change (6001 operateType 2) moves the booked time [min]
    /// (negative: earlier; default uniform −60..60).
    #[serde(default = "default_change_shift")]
    pub change_shift_min: DistSpec,
    /// A driver whose booking is refused (at once or later) comes as a
    /// general driver with this probability [0..1] (default 0.5).
    #[serde(default = "default_come_anyway")]
    pub refused_come_anyway: f64,
    /// Arrival minus booked time [min] (negative: early).
    #[serde(default = "default_offset")]
    pub arrival_offset_min: DistSpec,
    /// The hold after the booked time (`obligatTime`) [min].
    #[serde(default = "default_obligat")]
    pub obligat_min: u32,
    /// Length of stay [min].
    pub stay_min: DistSpec,
    /// Drivers the platform puts on a control list (4001) before they come.
    #[serde(default)]
    pub control_list: Option<ControlListSpec>,
}

/// A share of general drivers on the platform's control list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ControlListSpec {
    /// Share of general drivers listed [0..1].
    pub share: f64,
    /// 1 no entry, 2 entry but no exit, 3 neither, 4 warn, 5 free (table 10).
    pub strategy: u8,
    /// How long before arrival the platform pushes the list entry [min].
    #[serde(default = "default_push_min")]
    pub pushed_min_before: u32,
    /// Strategies 2 and 3: how long staff hold a listed car at the exit
    /// before letting it out [min] (default 15).
    #[serde(default = "default_hold_min")]
    pub hold_min: u32,
}

fn default_hold_min() -> u32 {
    15
}

fn default_come_anyway() -> f64 {
    0.5
}

fn default_push_min() -> u32 {
    60
}

fn default_lead() -> DistSpec {
    DistSpec::Uniform {
        low: 30.0,
        high: 1440.0,
    }
}
fn default_change_shift() -> DistSpec {
    DistSpec::Uniform {
        low: -60.0,
        high: 60.0,
    }
}
fn default_offset() -> DistSpec {
    DistSpec::Constant { value: 0.0 }
}
fn default_obligat() -> u32 {
    30
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fees {
    /// [yuan]
    pub first_hour: f64,
    /// Each further started hour [yuan].
    pub per_hour: f64,
    /// Cap per 24 h [yuan].
    pub daily_cap: f64,
    /// Free minutes [min].
    #[serde(default)]
    pub free_min: u32,
    /// A coupon (4002) the platform sends for every reserved vehicle.
    #[serde(default)]
    pub reserved_coupon: Option<Coupon>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Coupon {
    /// 1 amount, 2 hours, 3 fraction, 4 free (table 9).
    #[serde(rename = "type")]
    pub kind: u8,
    pub value: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    #[default]
    Tcp,
    Http,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Network {
    #[serde(default)]
    pub transport: Transport,
    /// Garage → platform latency [ms].
    #[serde(default = "default_latency")]
    pub uplink_ms: DistSpec,
    /// Platform → garage latency [ms].
    #[serde(default = "default_latency")]
    pub downlink_ms: DistSpec,
    #[serde(default)]
    pub outages: Vec<Outage>,
    /// Encode every event as a real frame (false: the engine alone).
    #[serde(default = "yes")]
    pub frames: bool,
}

fn default_latency() -> DistSpec {
    DistSpec::Constant { value: 50.0 }
}
fn yes() -> bool {
    true
}

impl Default for Network {
    fn default() -> Self {
        Network {
            transport: Transport::Tcp,
            uplink_ms: default_latency(),
            downlink_ms: default_latency(),
            outages: Vec::new(),
            frames: true,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outage {
    /// "D HH:MM": day index and time of day.
    pub start: String,
    pub minutes: u32,
}

/// A problem in a scenario, with the key and the line where it sits.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioError {
    /// Dotted key, e.g. `garage.stalls` (empty when unknown).
    pub key: String,
    /// 1-based line in the file, when known.
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.key.is_empty()) {
            (Some(l), false) => write!(f, "line {l}, `{}`: {}", self.key, self.message),
            (Some(l), true) => write!(f, "line {l}: {}", self.message),
            (None, false) => write!(f, "`{}`: {}", self.key, self.message),
            (None, true) => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for ScenarioError {}

/// Parses "HH:MM" into minutes since midnight.
pub fn parse_hhmm(s: &str) -> Option<u32> {
    let (h, m) = s.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some(h * 60 + m)
}

/// Parses "D HH:MM" into minutes since the start of day 0.
pub fn parse_day_hhmm(s: &str) -> Option<u32> {
    let (d, t) = s.trim().split_once(' ')?;
    Some(d.parse::<u32>().ok()? * 1440 + parse_hhmm(t.trim())?)
}

/// 1-based line of byte `offset` in `text`.
fn line_of_offset(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// The line where dotted `key` (e.g. `garage.entrances[1].service_s`,
/// `flow_control.priority.on`) is set: scans table headers (counting
/// `[[array]]` occurrences) and `key = …` lines; a key inside an inline
/// table is found on its line. Falls back to the table's header.
pub fn line_of_key(text: &str, key: &str) -> Option<usize> {
    let mut current = String::new();
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut header_line = None;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if let Some(h) = line.strip_prefix("[[") {
            let name = h.trim_end_matches("]]").trim().to_string();
            let n = seen.entry(name.clone()).or_insert(0);
            current = format!("{name}[{n}]");
            *n += 1;
        } else if let Some(h) = line.strip_prefix('[') {
            current = h.trim_end_matches(']').trim().to_string();
        } else if let Some((k, _)) = line.split_once('=') {
            let k = k.trim().trim_matches('"');
            let full = if current.is_empty() {
                k.to_string()
            } else {
                format!("{current}.{k}")
            };
            if key == full
                || key.starts_with(&format!("{full}."))
                || key.starts_with(&format!("{full}["))
            {
                return Some(i + 1);
            }
            continue;
        } else {
            continue;
        }
        if key.starts_with(&format!("{current}.")) && header_line.is_none() {
            header_line = Some(i + 1);
        }
    }
    header_line
}

impl Scenario {
    /// Reads and checks a scenario file's text: every problem it can find
    /// in one pass (unknown keys, wrong types, missing keys, bad values),
    /// each with its dotted key and line.
    pub fn from_toml(text: &str) -> Result<Scenario, Vec<ScenarioError>> {
        Scenario::from_toml_with_overrides(text, &[])
    }

    /// The embedded default.
    pub fn default_hospital() -> Scenario {
        // The embedded file is tested to parse; this cannot fail.
        Scenario::from_toml(DEFAULT)
            .unwrap_or_else(|e| panic!("embedded scenario is broken: {e:?}"))
    }

    /// Applies `key=value` overrides (dotted keys, TOML values; a bare word
    /// is read as a string) to `text` and reads the result. A problem with
    /// an overridden key says so and names the override; the others keep
    /// their line in `text`.
    pub fn from_toml_with_overrides(
        text: &str,
        sets: &[String],
    ) -> Result<Scenario, Vec<ScenarioError>> {
        Scenario::from_toml_with(text, sets, "--set")
    }

    /// [`from_toml_with_overrides`](Self::from_toml_with_overrides) with the
    /// overrides' origin named in messages (`"--set"`, `"the sweep's grid"`).
    pub fn from_toml_with(
        text: &str,
        sets: &[String],
        origin: &str,
    ) -> Result<Scenario, Vec<ScenarioError>> {
        let mut doc: toml::Table = toml::from_str(text).map_err(|e| {
            vec![ScenarioError {
                key: String::new(),
                line: e.span().map(|r| line_of_offset(text, r.start)),
                message: e.message().trim().to_string(),
            }]
        })?;
        let mut set_keys = Vec::new();
        for set in sets {
            let Some((key, raw)) = set.split_once('=') else {
                return Err(vec![ScenarioError {
                    key: set.clone(),
                    line: None,
                    message: format!("{origin} needs key=value"),
                }]);
            };
            let key = key.trim();
            let value: toml::Value =
                match toml::from_str::<toml::Table>(&format!("v = {}", raw.trim())) {
                    Ok(mut t) => t
                        .remove("v")
                        .unwrap_or(toml::Value::String(raw.trim().into())),
                    Err(_) => toml::Value::String(raw.trim().to_string()),
                };
            set_path(&mut doc, key, value).map_err(|m| {
                vec![ScenarioError {
                    key: key.to_string(),
                    line: None,
                    message: format!("{m} (from {origin} {set})"),
                }]
            })?;
            set_keys.push((key.to_string(), set.clone()));
        }
        let place = |key: &str, message: String| match set_keys.iter().find(|(k, _)| {
            key == k || key.starts_with(&format!("{k}.")) || key.starts_with(&format!("{k}["))
        }) {
            Some((_, set)) => ScenarioError {
                key: key.to_string(),
                line: None,
                message: format!("{message} (from {origin} {set})"),
            },
            None => ScenarioError {
                key: key.to_string(),
                line: line_of_key(text, key),
                message,
            },
        };
        let (scn, problems, patched) = read_all(doc);
        let mut errs: Vec<ScenarioError> =
            problems.into_iter().map(|(k, m)| place(&k, m)).collect();
        if let Some(s) = scn {
            for (k, m) in s.check() {
                // A value put in place of a bad one is not the user's.
                let patched_here = patched.iter().any(|p| {
                    let leaf = p.rsplit(['.', '[']).next().unwrap_or(p);
                    let parent = |x: &str| {
                        x.rsplit_once('.')
                            .map_or(String::new(), |(a, _)| a.to_string())
                    };
                    k == *p
                        || k.starts_with(&format!("{p}."))
                        || p.starts_with(&format!("{k}."))
                        // A check across keys that names the patched one.
                        || (parent(&k) == parent(p) && m.contains(leaf))
                });
                if !patched_here {
                    errs.push(place(&k, m));
                }
            }
            if errs.is_empty() {
                return Ok(s);
            }
        }
        errs.sort_by_key(|e| e.line.unwrap_or(usize::MAX));
        Err(errs)
    }

    /// Value checks beyond types: (dotted key, problem).
    pub fn check(&self) -> Vec<(String, String)> {
        let mut e: Vec<(String, String)> = Vec::new();
        let mut bad = |k: &str, m: String| e.push((k.to_string(), m));
        let g = &self.garage;
        if self.days == 0 {
            bad("days", "must be at least 1".into());
        }
        if g.stalls == 0 {
            bad("garage.stalls", "must be at least 1".into());
        }
        if g.stalls > MAX_STALLS {
            bad(
                "garage.stalls",
                format!(
                    "{} stalls: more than {MAX_STALLS}, no garage is that large",
                    g.stalls
                ),
            );
        }
        if self.days > MAX_DAYS {
            bad(
                "days",
                format!("{} days: at most {MAX_DAYS} (ten years)", self.days),
            );
        }
        if self.warmup_days > MAX_DAYS {
            bad(
                "warmup_days",
                format!("{} days: at most {MAX_DAYS} (ten years)", self.warmup_days),
            );
        }
        if g.reservable_stalls > g.stalls {
            bad(
                "garage.reservable_stalls",
                format!("{} exceeds the {} stalls", g.reservable_stalls, g.stalls),
            );
        }
        if !(0.0 < g.saturated_at && g.saturated_at < g.full_at && g.full_at <= 1.0) {
            bad(
                "garage.saturated_at",
                format!(
                    "need 0 < saturated_at ({}) < full_at ({}) <= 1",
                    g.saturated_at, g.full_at
                ),
            );
        }
        if g.entrances.is_empty() {
            bad("garage.entrances", "at least one entrance".into());
        }
        if g.exits.is_empty() {
            bad("garage.exits", "at least one exit".into());
        }
        if g.entrances.len() >= 2
            && !g.entrances.iter().any(|x| x.kind == EntranceKind::Reserved)
            && self.demand.reserved_share > 0.0
        {
            bad("garage.entrances", "with two or more entrances the standard (5.3 a) wants at least one reservation-only entrance".into());
        }
        for (i, x) in g.entrances.iter().enumerate() {
            check_dist(
                &mut bad,
                &format!("garage.entrances[{i}].service_s"),
                &x.service_s,
                true,
            );
            if let Some(m) = &x.manual_service_s {
                check_dist(
                    &mut bad,
                    &format!("garage.entrances[{i}].manual_service_s"),
                    m,
                    true,
                );
            }
            for w in &x.open_to_general {
                check_window(
                    &mut bad,
                    &format!("garage.entrances[{i}].open_to_general"),
                    w,
                );
            }
        }
        for (i, x) in g.exits.iter().enumerate() {
            check_dist(
                &mut bad,
                &format!("garage.exits[{i}].service_s"),
                &x.service_s,
                true,
            );
        }
        let f = &self.flow_control;
        check_window(&mut bad, "flow_control.priority", &f.priority);
        if f.saturated_ratio[0] == 0 && f.saturated_ratio[1] == 0 {
            bad("flow_control.saturated_ratio", "both parts are 0".into());
        }
        let d = &self.demand;
        let sources = [
            d.arrivals_per_hour.is_some(),
            d.arrivals_per_hour_by_weekday.is_some(),
            d.arrival_rate.is_some(),
        ];
        if sources.iter().filter(|x| **x).count() != 1 {
            bad(
                "demand.arrivals_per_hour",
                "give exactly one of arrivals_per_hour, arrivals_per_hour_by_weekday, arrival_rate"
                    .into(),
            );
        }
        if let Some(p) = &d.arrivals_per_hour {
            if p.len() != 24 {
                bad(
                    "demand.arrivals_per_hour",
                    format!("needs 24 hourly rates, got {}", p.len()),
                );
            }
            if p.iter().any(|x| !x.is_finite() || *x < 0.0) {
                bad(
                    "demand.arrivals_per_hour",
                    "rates must be finite and >= 0".into(),
                );
            }
        }
        if let Some(w) = &d.arrivals_per_hour_by_weekday
            && (w.len() != 7
                || w.iter()
                    .any(|p| p.len() != 24 || p.iter().any(|x| !x.is_finite() || *x < 0.0)))
        {
            bad(
                "demand.arrivals_per_hour_by_weekday",
                "needs 7 lists of 24 rates >= 0".into(),
            );
        }
        if let Some(r) = d.arrival_rate
            && !(r.is_finite() && r >= 0.0)
        {
            bad("demand.arrival_rate", format!("must be >= 0, got {r}"));
        }
        for (k, v) in [
            ("demand.reserved_share", d.reserved_share),
            ("demand.no_show", d.no_show),
            ("demand.cancel", d.cancel),
            ("demand.change", d.change),
            ("demand.refused_come_anyway", d.refused_come_anyway),
        ] {
            if !(0.0..=1.0).contains(&v) {
                bad(k, format!("a share in [0, 1], got {v}"));
            }
        }
        if d.no_show + d.cancel > 1.0 {
            bad("demand.no_show", "no_show + cancel exceed 1".into());
        }
        if let Some(c) = &d.control_list {
            if !(0.0..=1.0).contains(&c.share) {
                bad(
                    "demand.control_list.share",
                    format!("a share in [0, 1], got {}", c.share),
                );
            }
            if !(1..=5).contains(&c.strategy) {
                bad(
                    "demand.control_list.strategy",
                    format!("1..=5 (table 10), got {}", c.strategy),
                );
            }
        }
        check_dist(&mut bad, "demand.lead_time_min", &d.lead_time_min, true);
        check_dist(
            &mut bad,
            "demand.arrival_offset_min",
            &d.arrival_offset_min,
            false,
        );
        check_dist(
            &mut bad,
            "demand.change_shift_min",
            &d.change_shift_min,
            false,
        );
        check_dist(&mut bad, "demand.stay_min", &d.stay_min, true);
        if let LockAhead::Word(w) = &self.booking.lock_ahead_min
            && w != "at_booking"
        {
            bad(
                "booking.lock_ahead_min",
                format!("minutes or \"at_booking\", got \"{w}\""),
            );
        }
        if let Some(m) = self.booking.lock_ahead_min.minutes()
            && !(m.is_finite() && m >= 0.0)
        {
            bad("booking.lock_ahead_min", format!("minutes >= 0, got {m}"));
        }
        let fe = &self.fees;
        for (k, v) in [
            ("fees.first_hour", fe.first_hour),
            ("fees.per_hour", fe.per_hour),
            ("fees.daily_cap", fe.daily_cap),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                bad(k, format!("an amount >= 0, got {v}"));
            }
        }
        if let Some(c) = &fe.reserved_coupon {
            if !(1..=4).contains(&c.kind) {
                bad(
                    "fees.reserved_coupon.type",
                    format!("1 amount, 2 hours, 3 fraction or 4 free; got {}", c.kind),
                );
            }
            if c.kind == 3 && !(0.0..=1.0).contains(&c.value) {
                bad(
                    "fees.reserved_coupon.value",
                    format!("a fraction in [0, 1] for type 3, got {}", c.value),
                );
            }
            if !(c.value.is_finite() && c.value >= 0.0) {
                bad(
                    "fees.reserved_coupon.value",
                    format!("must be >= 0, got {}", c.value),
                );
            }
        }
        let n = &self.network;
        check_dist(&mut bad, "network.uplink_ms", &n.uplink_ms, true);
        check_dist(&mut bad, "network.downlink_ms", &n.downlink_ms, true);
        for (i, o) in n.outages.iter().enumerate() {
            if parse_day_hhmm(&o.start).is_none() {
                bad(
                    &format!("network.outages[{i}].start"),
                    format!("\"{}\" is not \"D HH:MM\"", o.start),
                );
            }
        }
        e
    }

    /// Values that are allowed but probably not meant: (dotted key, why).
    /// An outage that starts after the run ends never happens.
    pub fn warnings(&self) -> Vec<(String, String)> {
        let mut w = Vec::new();
        let run_days = self.warmup_days as u64 + self.days as u64;
        for (i, o) in self.network.outages.iter().enumerate() {
            if let Some(m) = parse_day_hhmm(&o.start)
                && m as u64 >= run_days * 1440
            {
                w.push((
                    format!("network.outages[{i}].start"),
                    format!(
                        "starts on day {} but the run has days 0 to {} (day 0 is the first simulated day, warm-up included): it never happens",
                        m / 1440,
                        run_days.saturating_sub(1)
                    ),
                ));
            }
        }
        w
    }
}

fn check_dist(bad: &mut impl FnMut(&str, String), key: &str, d: &DistSpec, nonneg: bool) {
    match d.build() {
        Err(e) => bad(key, e.to_string()),
        Ok(dist) => {
            if nonneg && matches!(dist, Dist::Constant(v) if v < 0.0) {
                bad(key, "a duration cannot be negative".into());
            }
        }
    }
}

fn check_window(bad: &mut impl FnMut(&str, String), key: &str, w: &Window) {
    if parse_hhmm(&w.on).is_none() {
        bad(&format!("{key}.on"), format!("\"{}\" is not HH:MM", w.on));
    }
    if parse_hhmm(&w.off).is_none() {
        bad(&format!("{key}.off"), format!("\"{}\" is not HH:MM", w.off));
    }
}

/// Reads a scenario table, going past structural problems: each one is
/// recorded with its dotted key, the bad value is replaced by one of the
/// right type (or the unknown key removed), and reading starts again.
/// Returns the scenario if one could be read at all, the problems, and the
/// keys whose values were put in place.
fn read_all(mut doc: toml::Table) -> (Option<Scenario>, Vec<(String, String)>, Vec<String>) {
    let mut problems: Vec<(String, String)> = Vec::new();
    let mut patched: Vec<String> = Vec::new();
    for _ in 0..200 {
        let err = match serde_path_to_error::deserialize::<_, Scenario>(toml::Value::Table(
            doc.clone(),
        )) {
            Ok(s) => return (Some(s), problems, patched),
            Err(e) => e,
        };
        let mut path: Vec<Seg> = err
            .path()
            .iter()
            .filter_map(|s| match s {
                serde_path_to_error::Segment::Map { key } => Some(Seg::Key(key.clone())),
                serde_path_to_error::Segment::Seq { index } => Some(Seg::Index(*index)),
                _ => None,
            })
            .collect();
        let message = err.inner().message().trim().to_string();
        let quoted = message.split('`').nth(1).map(str::to_string);
        let fixed = if let (true, Some(field)) = (message.starts_with("unknown field"), &quoted) {
            if !matches!(path.last(), Some(Seg::Key(k)) if k == field) {
                path.push(Seg::Key(field.clone()));
            }
            let m = message
                .split(", expected")
                .next()
                .unwrap_or(&message)
                .to_string();
            problems.push((dotted(&path), m));
            remove_at(&mut doc, &path)
        } else if let (true, Some(field)) = (message.starts_with("missing field"), &quoted) {
            path.push(Seg::Key(field.clone()));
            problems.push((dotted(&path), "missing (this key has no default)".into()));
            patch(&mut doc, &path)
        } else {
            problems.push((dotted(&path), message));
            patch(&mut doc, &path) || remove_at(&mut doc, &path)
        };
        patched.push(dotted(&path));
        if !fixed {
            break;
        }
    }
    (None, problems, patched)
}

#[derive(Debug, Clone)]
enum Seg {
    Key(String),
    Index(usize),
}

fn dotted(path: &[Seg]) -> String {
    let mut s = String::new();
    for p in path {
        match p {
            Seg::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            Seg::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

/// The value at `path`, creating nothing.
fn value_at<'a>(doc: &'a mut toml::Table, path: &[Seg]) -> Option<&'a mut toml::Value> {
    let (first, rest) = path.split_first()?;
    let Seg::Key(k) = first else { return None };
    let mut v = doc.get_mut(k)?;
    for seg in rest {
        v = match (seg, v) {
            (Seg::Key(k), toml::Value::Table(t)) => t.get_mut(k)?,
            (Seg::Index(i), toml::Value::Array(a)) => a.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(v)
}

fn remove_at(doc: &mut toml::Table, path: &[Seg]) -> bool {
    let Some((last, parent)) = path.split_last() else {
        return false;
    };
    let Seg::Key(k) = last else { return false };
    if parent.is_empty() {
        return doc.remove(k).is_some();
    }
    match value_at(doc, parent) {
        Some(toml::Value::Table(t)) => t.remove(k).is_some(),
        _ => false,
    }
}

/// Puts a value of whatever type the reader accepts at `path` (trying a
/// few), so that reading can go on past it.
fn patch(doc: &mut toml::Table, path: &[Seg]) -> bool {
    let mut dist = toml::Table::new();
    dist.insert("dist".into(), toml::Value::String("constant".into()));
    dist.insert("value".into(), toml::Value::Float(1.0));
    let candidates = [
        toml::Value::Integer(1),
        toml::Value::Float(0.5),
        toml::Value::String("at_booking".into()),
        toml::Value::Boolean(true),
        toml::Value::Table(dist),
        toml::Value::Array(vec![toml::Value::Integer(1), toml::Value::Integer(1)]),
        toml::Value::Table(toml::Table::new()),
    ];
    let key = dotted(path);
    for c in candidates {
        let mut trial = doc.clone();
        if !insert_at(&mut trial, path, c) {
            return false;
        }
        let still_here = match serde_path_to_error::deserialize::<_, Scenario>(toml::Value::Table(
            trial.clone(),
        )) {
            Ok(_) => false,
            Err(e) => {
                let p = e.path().to_string();
                let m = e.inner().message();
                let missing_here = m.starts_with("missing field")
                    && m.split('`')
                        .nth(1)
                        .is_some_and(|f| key == format!("{p}.{f}") || key == f);
                p == key || missing_here
            }
        };
        if !still_here {
            *doc = trial;
            return true;
        }
    }
    false
}

fn insert_at(doc: &mut toml::Table, path: &[Seg], value: toml::Value) -> bool {
    let Some((last, parent)) = path.split_last() else {
        return false;
    };
    let slot = if parent.is_empty() {
        None
    } else {
        match value_at(doc, parent) {
            Some(v) => Some(v),
            None => return false,
        }
    };
    match (last, slot) {
        (Seg::Key(k), None) => {
            doc.insert(k.clone(), value);
            true
        }
        (Seg::Key(k), Some(toml::Value::Table(t))) => {
            t.insert(k.clone(), value);
            true
        }
        (Seg::Index(i), Some(toml::Value::Array(a))) if *i < a.len() => {
            a[*i] = value;
            true
        }
        _ => false,
    }
}

/// Sets a dotted path in a TOML table; every segment but the last must exist.
fn set_path(doc: &mut toml::Table, key: &str, value: toml::Value) -> Result<(), String> {
    let parts: Vec<&str> = key.split('.').collect();
    let mut t = doc;
    for (i, p) in parts.iter().enumerate() {
        if i + 1 == parts.len() {
            t.insert(p.to_string(), value);
            return Ok(());
        }
        t = match t
            .entry(p.to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()))
        {
            toml::Value::Table(next) => next,
            _ => return Err(format!("`{}` is not a table", parts[..=i].join("."))),
        };
    }
    Ok(())
}
