//! Human names, units and value formats for the sweep knobs and metrics
//! a planner meets most; any other key is shown as it is written.

use super::chart::{pct, plain, secs};

/// How a knob's or a metric's values read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Unit {
    /// A share in [0, 1], shown as a percentage.
    Share,
    /// Seconds.
    Seconds,
    /// A count or amount with its unit word (may be empty).
    Plain(&'static str),
}

/// A knob's label: its name and unit.
#[derive(Debug, Clone, PartialEq)]
pub struct KnobLabel {
    pub name: String,
    pub unit: Unit,
}

const KNOBS: &[(&str, &str, Unit)] = &[
    (
        "garage.reservable_stalls",
        "reservable stalls",
        Unit::Plain("stalls"),
    ),
    ("garage.stalls", "stalls", Unit::Plain("stalls")),
    ("garage.saturated_at", "saturated from", Unit::Share),
    ("garage.full_at", "full from", Unit::Share),
    ("garage.pool", "reservable pool", Unit::Plain("")),
    (
        "flow_control.full_rule",
        "full-garage rule",
        Unit::Plain(""),
    ),
    (
        "flow_control.full_rule_when",
        "full rule holds",
        Unit::Plain(""),
    ),
    (
        "flow_control.ratio_scope",
        "ratio counted per",
        Unit::Plain(""),
    ),
    (
        "flow_control.when_full",
        "general car when full",
        Unit::Plain(""),
    ),
    (
        "flow_control.max_queue",
        "max queue",
        Unit::Plain("vehicles"),
    ),
    ("demand.reserved_share", "drivers who book", Unit::Share),
    (
        "demand.arrival_rate",
        "arrival rate",
        Unit::Plain("vehicles/h"),
    ),
    ("demand.no_show", "no-shows", Unit::Share),
    ("demand.cancel", "cancellations", Unit::Share),
    ("demand.change", "changed bookings", Unit::Share),
    (
        "demand.obligat_min",
        "hold after booked time",
        Unit::Plain("min"),
    ),
    (
        "demand.refused_come_anyway",
        "refused who come anyway",
        Unit::Share,
    ),
    (
        "booking.change_until_min",
        "changes allowed until",
        Unit::Plain("min before"),
    ),
    (
        "booking.cancel_until_min",
        "cancels allowed until",
        Unit::Plain("min before"),
    ),
    ("fees.first_hour", "first-hour fee", Unit::Plain("yuan")),
    ("fees.per_hour", "hourly fee", Unit::Plain("yuan")),
    ("days", "measured days", Unit::Plain("days")),
    ("warmup_days", "warm-up days", Unit::Plain("days")),
];

/// The label of sweep key `key` (the key itself when unknown).
pub fn knob(key: &str) -> KnobLabel {
    KNOBS.iter().find(|(k, _, _)| *k == key).map_or_else(
        || KnobLabel {
            name: key.to_string(),
            unit: Unit::Plain(""),
        },
        |(_, n, u)| KnobLabel {
            name: n.to_string(),
            unit: *u,
        },
    )
}

impl KnobLabel {
    /// The axis title: "reservable stalls [stalls]", "drivers who book [%]".
    pub fn axis(&self) -> String {
        match self.unit {
            Unit::Share => format!("{} [%]", self.name),
            Unit::Seconds => format!("{} [s]", self.name),
            Unit::Plain("") => self.name.clone(),
            Unit::Plain(u) => format!("{} [{u}]", self.name),
        }
    }

    /// One value as a tick or legend reads it (`0.3` → `30 %`); text
    /// values as they are.
    pub fn value(&self, v: &str) -> String {
        let Ok(x) = v.parse::<f64>() else {
            return v.to_string();
        };
        match self.unit {
            Unit::Share => {
                let p = 100.0 * x;
                if (p - p.round()).abs() < 1e-9 {
                    pct(x, 0)
                } else {
                    pct(x, 1)
                }
            }
            Unit::Seconds => secs(x),
            Unit::Plain(_) => plain(x),
        }
    }

    /// "max queue = 40 vehicles", "full-garage rule = out2in1",
    /// "reservable stalls = 20" (no unit the name already says).
    pub fn is(&self, v: &str) -> String {
        match self.unit {
            Unit::Plain(u)
                if !u.is_empty() && !self.name.ends_with(u) && v.parse::<f64>().is_ok() =>
            {
                format!("{} = {} {u}", self.name, self.value(v))
            }
            _ => format!("{} = {}", self.name, self.value(v)),
        }
    }
}

/// A sweep metric: its summary key, a name and what it is a share of.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MetricLabel {
    pub key: &'static str,
    pub name: &'static str,
    /// The axis title.
    pub axis: &'static str,
    pub unit: Unit,
}

impl MetricLabel {
    /// A mean as a cell reads it: `96.1 %`, `834 s`.
    pub fn value(&self, x: f64) -> String {
        match self.unit {
            Unit::Share => pct(x, 1),
            Unit::Seconds => secs(x),
            Unit::Plain(_) => plain(x),
        }
    }

    /// A CI half-width: `±0.8` (percentage points), `±12` (s).
    pub fn pm(&self, h: f64) -> String {
        match self.unit {
            Unit::Share => format!("±{:.1}", 100.0 * h),
            Unit::Seconds if h >= 10.0 => format!("±{h:.0}"),
            _ => format!("±{h:.1}"),
        }
    }

    /// A tick on the metric's axis.
    pub fn tick(&self, x: f64) -> String {
        match self.unit {
            Unit::Share => {
                let p = 100.0 * x;
                if (p - p.round()).abs() < 1e-6 {
                    format!("{p:.0} %")
                } else {
                    format!("{p:.1} %")
                }
            }
            _ => plain(x),
        }
    }
}

pub const BOOKING_SUCCESS: MetricLabel = MetricLabel {
    key: "booking_success_rate",
    name: "Booking success",
    axis: "booking success [% of attempts]",
    unit: Unit::Share,
};
pub const WALKIN_BLOCKING: MetricLabel = MetricLabel {
    key: "walkin_blocking_rate",
    name: "Walk-ins turned away",
    axis: "walk-ins turned away [% of walk-ins]",
    unit: Unit::Share,
};
pub const BLOCKING: MetricLabel = MetricLabel {
    key: "blocking_rate",
    name: "General arrivals turned away",
    axis: "turned away [% of general arrivals]",
    unit: Unit::Share,
};
pub const P95_WAIT: MetricLabel = MetricLabel {
    key: "p95_wait_s",
    name: "95th-percentile entrance wait",
    axis: "p95 entrance wait [s]",
    unit: Unit::Seconds,
};
pub const FULFILMENT: MetricLabel = MetricLabel {
    key: "fulfilment_rate",
    name: "Fulfilment",
    axis: "fulfilment [% of reserved arrivals]",
    unit: Unit::Share,
};

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn knob_labels_and_values() {
        for (key, v, axis, shown) in [
            (
                "garage.reservable_stalls",
                "40",
                "reservable stalls [stalls]",
                "40",
            ),
            (
                "demand.reserved_share",
                "0.3",
                "drivers who book [%]",
                "30 %",
            ),
            (
                "demand.reserved_share",
                "0.125",
                "drivers who book [%]",
                "12.5 %",
            ),
            (
                "flow_control.full_rule",
                "out2in1",
                "full-garage rule",
                "out2in1",
            ),
            ("garage.unknown_knob", "7.50", "garage.unknown_knob", "7.5"),
        ] {
            let l = knob(key);
            assert_eq!((l.axis().as_str(), l.value(v).as_str()), (axis, shown));
        }
        assert_eq!(
            knob("flow_control.max_queue").is("40"),
            "max queue = 40 vehicles"
        );
        assert_eq!(knob("garage.stalls").is("300"), "stalls = 300");
        assert_eq!(
            knob("demand.reserved_share").is("0.3"),
            "drivers who book = 30 %"
        );
        assert_eq!(BOOKING_SUCCESS.value(0.9612), "96.1 %");
        assert_eq!(BOOKING_SUCCESS.pm(0.0081), "±0.8");
        assert_eq!(P95_WAIT.value(833.667), "834 s");
        assert_eq!(P95_WAIT.pm(12.4), "±12");
    }
}
