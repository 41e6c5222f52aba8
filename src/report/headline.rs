//! The headline metrics: the figures a planner looks at first, with
//! readable names. Every other metric is in the page's full tables.

/// (summary key, name), in the order shown for a run.
pub const RUN: [(&str, &str); 17] = [
    ("booking_success_rate", "Booking success (a stall locked)"),
    (
        "fulfilment_rate",
        "Fulfilment (reserved drivers in, in time)",
    ),
    ("walkin_blocking_rate", "Walk-ins turned away"),
    ("blocking_rate", "General class turned away"),
    ("mean_wait_s", "Mean entrance wait"),
    ("p95_wait_s", "95th percentile entrance wait"),
    ("walkin_p95_wait_s", "95th percentile walk-in wait"),
    ("mean_queue", "Mean queue (all entrances)"),
    ("max_queue", "Longest queue"),
    ("mean_occupancy", "Mean occupancy"),
    ("peak_occupancy", "Peak occupancy (one-minute mean)"),
    ("hours_full", "Time at the full level"),
    ("held_empty_stall_hours", "Stall-hours locked with no car"),
    ("revenue", "Revenue"),
    ("uplink_within_3s_rate", "Reports delivered within 3 s"),
    ("vehicles_arrived", "Vehicles arrived"),
    ("booking_attempts", "Booking attempts"),
];

/// The metrics of a sweep's per-point table (the targets' metrics are
/// added after them).
pub const SWEEP: [&str; 6] = [
    "booking_success_rate",
    "walkin_blocking_rate",
    "fulfilment_rate",
    "p95_wait_s",
    "mean_occupancy",
    "revenue",
];

/// The readable name of a headline metric.
pub fn name(key: &str) -> Option<&'static str> {
    RUN.iter().find(|(k, _)| *k == key).map(|(_, n)| *n)
}
