//! The event log (6.13): every event the engine handles, in order, queryable
//! by plate, by booking code and by time range.

use super::EntranceId;
use super::admission::{Saturation, VehicleClass};
use super::config::LaneKind;
use crate::proto::codes::BizCode;
use crate::proto::messages::Amount;
use crate::proto::time::DateTime;
use std::collections::HashMap;

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    /// A vehicle joined the queue of an entrance.
    Arrived {
        entrance: EntranceId,
        class: VehicleClass,
    },
    /// A vehicle was turned round (U-turn) at an entrance.
    TurnedAway {
        entrance: EntranceId,
    },
    /// A reserved vehicle waiting in a queue lost its booking and now
    /// waits as general.
    Demoted {
        entrance: EntranceId,
    },
    Entered {
        entrance: EntranceId,
        record_id: String,
        class: VehicleClass,
        manual: bool,
    },
    Paid {
        charge_id: String,
        receivables: Amount,
        discount: Amount,
        received: Amount,
    },
    Exited {
        record_id: String,
    },
    /// The control list forbids this vehicle to leave.
    ExitRefused {
        list_id: String,
    },
    Corrected {
        record_id: String,
    },
    Booked {
        stall: u32,
    },
    BookingChanged,
    BookingConfirmed,
    BookingCancelled,
    BookingExpired,
    /// A 6001/6002 answered with an error code.
    BookingRejected {
        code: BizCode,
    },
    ControlListSet {
        list_id: String,
        strategy: i64,
    },
    ControlListDeleted {
        list_id: String,
    },
    ControlListRejected {
        code: BizCode,
    },
    /// Strategy 4: the platform was warned.
    ControlWarning {
        list_id: String,
    },
    CouponReceived {
        coupon_no: String,
        coupon_type: i64,
    },
    CouponRejected {
        coupon_no: String,
        code: BizCode,
    },
    PrioritySwitched {
        on: bool,
        manual: bool,
    },
    LaneChanged {
        entrance: EntranceId,
        from: LaneKind,
        to: LaneKind,
    },
    SaturationChanged {
        from: Saturation,
        to: Saturation,
    },
}

/// One logged event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Position in the log, from 0.
    pub seq: u64,
    pub time: DateTime,
    pub plate: Option<String>,
    pub book_code: Option<String>,
    pub kind: EventKind,
}

/// The log. Events are appended in time order (the engine refuses time
/// going backwards), so a time range is a binary search.
#[derive(Debug, Clone, Default)]
pub struct EventLog {
    /// Off: every push is dropped (see `Config::history`).
    off: bool,
    events: Vec<Event>,
    by_plate: HashMap<String, Vec<usize>>,
    by_booking: HashMap<String, Vec<usize>>,
}

impl EventLog {
    /// A log that keeps nothing.
    pub(crate) fn disabled() -> EventLog {
        EventLog {
            off: true,
            ..EventLog::default()
        }
    }

    pub(crate) fn push(
        &mut self,
        time: DateTime,
        plate: Option<&str>,
        book_code: Option<&str>,
        kind: impl FnOnce() -> EventKind,
    ) {
        // Built only when kept: with history off, no event allocates.
        if self.off {
            return;
        }
        let kind = kind();
        let i = self.events.len();
        if let Some(p) = plate {
            index(&mut self.by_plate, p, i);
        }
        if let Some(b) = book_code {
            index(&mut self.by_booking, b, i);
        }
        self.events.push(Event {
            seq: i as u64,
            time,
            plate: plate.map(str::to_owned),
            book_code: book_code.map(str::to_owned),
            kind,
        });
    }

    /// Every event, oldest first.
    pub fn all(&self) -> &[Event] {
        &self.events
    }

    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// Events of a plate, oldest first. O(log n + k).
    pub fn by_plate<'a>(&'a self, plate: &str) -> impl Iterator<Item = &'a Event> + 'a {
        self.indexed(self.by_plate.get(plate))
    }

    /// Events of a booking code, oldest first. O(log n + k).
    pub fn by_booking<'a>(&'a self, code: &str) -> impl Iterator<Item = &'a Event> + 'a {
        self.indexed(self.by_booking.get(code))
    }

    /// Events with `from <= time < to`. O(log n).
    pub fn between(&self, from: DateTime, to: DateTime) -> &[Event] {
        let a = self.events.partition_point(|e| e.time < from);
        let b = self.events.partition_point(|e| e.time < to).max(a);
        &self.events[a..b]
    }

    fn indexed<'a>(&'a self, ix: Option<&'a Vec<usize>>) -> impl Iterator<Item = &'a Event> + 'a {
        ix.into_iter().flatten().map(move |&i| &self.events[i])
    }
}

/// Appends `i` under `key`, allocating the key only the first time.
fn index(map: &mut HashMap<String, Vec<usize>>, key: &str, i: usize) {
    match map.get_mut(key) {
        Some(v) => v.push(i),
        None => {
            map.insert(key.to_owned(), vec![i]);
        }
    }
}
