//! What a platform recorded of one garage ([`Ledger`]), and the digest a
//! run's platform keeps of a report instead of the report itself.

use crate::proto::messages::*;
use std::collections::BTreeMap;

/// What the platform holds about one garage.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ledger {
    pub park_info: Option<ParkInfoUpload>,
    pub entrances: BTreeMap<String, EntranceUpload>,
    pub tariffs: BTreeMap<String, ChargingStandard>,
    /// 5004 by record id.
    pub entries: BTreeMap<String, ParkRecordInfo>,
    /// 5005 by record id.
    pub exits: BTreeMap<String, ParkRecordInfo>,
    /// 5006 by record id (the latest correction).
    pub corrections: BTreeMap<String, ParkRecordInfo>,
    /// 5008 by charge id.
    pub charges: BTreeMap<String, ParkChargeInfo>,
    /// 7001 by event id.
    pub priority_switches: BTreeMap<String, PrioritySwitch>,
    /// The latest 5003 and its envelope timestamp [s].
    pub space: Option<(i64, ParkSpaceInfo)>,
    /// The garage's reply to each 6001 / 6002, by bookCode (latest).
    pub book_replies: BTreeMap<String, BookReply>,
    pub confirm_replies: BTreeMap<String, BookConfirmReply>,
    pub coupon_replies: BTreeMap<String, CouponReply>,
    pub control_replies: Vec<IdReply>,
    /// The reports kept by id (5004, 5005, 5008, 7001) as their kind, id
    /// and digest, in the order recorded, instead of in the maps above,
    /// when the platform keeps digests ([`Platform::keep_digests`](super::Platform::keep_digests)).
    pub digested: Vec<Digested>,
}

impl Ledger {
    /// Empties it, as `std::mem::take` would, but touches only what holds
    /// something: a run hands its platform's ledger to its books after
    /// every call, and dropping its empty trees each time cost 1.7 % of a
    /// hospital day with frames. Keeps the `digested` buffer's capacity.
    pub fn clear(&mut self) {
        fn clear_map<K, V>(m: &mut BTreeMap<K, V>) {
            if !m.is_empty() {
                m.clear();
            }
        }
        // Every field named: a field added later must be cleared here.
        let Ledger {
            park_info,
            entrances,
            tariffs,
            entries,
            exits,
            corrections,
            charges,
            priority_switches,
            space,
            book_replies,
            confirm_replies,
            coupon_replies,
            control_replies,
            digested,
        } = self;
        *park_info = None;
        clear_map(entrances);
        clear_map(tariffs);
        clear_map(entries);
        clear_map(exits);
        clear_map(corrections);
        clear_map(charges);
        clear_map(priority_switches);
        *space = None;
        clear_map(book_replies);
        clear_map(confirm_replies);
        clear_map(coupon_replies);
        control_replies.clear();
        digested.clear();
    }
}

/// The kinds of report a platform keeps by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Report {
    /// 5004.
    Entry,
    /// 5005.
    Exit,
    /// 5008.
    Charge,
    /// 7001.
    Switch,
}

/// A report recorded as its digest ([`Platform::keep_digests`](super::Platform::keep_digests)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digested {
    pub report: Report,
    pub id: String,
    /// [`digest`] of the whole record (its id included).
    pub digest: u64,
}

/// A record's content as 64 bits (FxHash over every field: no keys, the
/// same in every run). Cheap rather than strong: it catches a record
/// altered by a bug, not one forged to collide.
pub fn digest<T: std::hash::Hash>(record: &T) -> u64 {
    use std::hash::Hasher;
    let mut h = rustc_hash::FxHasher::default();
    record.hash(&mut h);
    h.finish()
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::proto::time::DateTime;

    fn car(plate: &str) -> ParkCarInfo {
        ParkCarInfo {
            plate_no: plate.into(),
            ..Default::default()
        }
    }

    /// A ledger with every field holding something, cleared, is the empty
    /// ledger `std::mem::take` leaves (fails for any field `clear` skips).
    #[test]
    fn a_cleared_ledger_is_empty() {
        let charging = ChargingStandard {
            charger: "c".into(),
            complaint_tel: "1".into(),
            items: vec![ChargeItem {
                charge_desc: "d".into(),
                charge_item: "i".into(),
            }],
            park_code: "p".into(),
            permit_no: "1".into(),
            pricing: 1,
            pricing_sign: None,
            region: 1,
            remark: None,
        };
        let park = ParkInfoUpload {
            park_info: ParkInfo {
                address: None,
                charging: charging.clone(),
                indust_author_info: None,
                latitude: 22.5,
                longitude: 114.0,
                map_image: None,
                operator_id: "o".into(),
                park_code: "p".into(),
                park_name: "n".into(),
                public_info: "i".into(),
                reservable_stalls: 1,
                road_name: None,
                service_type: 1,
                shenzhen_h: None,
                shenzhen_x: None,
                shenzhen_y: None,
                stagger_stalls: None,
                total_stalls: None,
            },
            status: 1,
        };
        let entrance = EntranceUpload {
            entrance_exit_info: EntranceInfo {
                garage_code: None,
                id: "e".into(),
                latitude: 22.5,
                longitude: 114.0,
                name: "n".into(),
                park_code: "p".into(),
                road_name: None,
                kind: 1,
            },
            status: 1,
        };
        let record = ParkRecordInfo {
            car_info: car("粤B1"),
            charge_id_list: None,
            discount: Amount::ZERO,
            enter_time: DateTime(0),
            id: "r".into(),
            in_equipment_id: None,
            leave_time: None,
            out_equipment_id: None,
            park_code: None,
            receivables: Amount::ZERO,
            received: Amount::ZERO,
            stall_no: None,
        };
        let charge = ParkChargeInfo {
            car_info: car("粤B1"),
            discount: Amount::ZERO,
            id: "c".into(),
            list_discounts: None,
            order_no: None,
            pay_from: "f".into(),
            pay_time: DateTime(0),
            pay_type: 1,
            receivables: Amount::ZERO,
            received: Amount::ZERO,
            record_id: "r".into(),
        };
        let switch = PrioritySwitch {
            id: "s".into(),
            operate_type: 1,
            park_code: "p".into(),
            remark: None,
            time: DateTime(0),
        };
        let mut l = Ledger {
            park_info: Some(park),
            entrances: [("e".to_string(), entrance)].into(),
            tariffs: [("p".to_string(), charging)].into(),
            entries: [("r".to_string(), record.clone())].into(),
            exits: [("r".to_string(), record.clone())].into(),
            corrections: [("r".to_string(), record)].into(),
            charges: [("c".to_string(), charge)].into(),
            priority_switches: [("s".to_string(), switch)].into(),
            space: Some((
                1,
                ParkSpaceInfo {
                    park_code: "p".into(),
                    reserved_stalls: None,
                    unused_stalls: 1,
                    used_stalls: 0,
                },
            )),
            book_replies: [(
                "b".to_string(),
                BookReply {
                    bluetooth_address: None,
                    book_code: "b".into(),
                    code: 0,
                    message: "m".into(),
                    rest_reserved_stalls: None,
                    stall_no: None,
                },
            )]
            .into(),
            confirm_replies: [(
                "b".to_string(),
                BookConfirmReply {
                    book_code: "b".into(),
                    code: 0,
                    message: "m".into(),
                },
            )]
            .into(),
            coupon_replies: [(
                "n".to_string(),
                CouponReply {
                    code: 0,
                    coupon_no: "n".into(),
                    message: None,
                },
            )]
            .into(),
            control_replies: vec![IdReply {
                code: 0,
                id: None,
                message: None,
            }],
            digested: vec![Digested {
                report: Report::Entry,
                id: "r".into(),
                digest: 1,
            }],
        };
        // Every field differs from the empty ledger's, one at a time.
        let empty = Ledger::default();
        let changed = [
            l.park_info != empty.park_info,
            l.entrances != empty.entrances,
            l.tariffs != empty.tariffs,
            l.entries != empty.entries,
            l.exits != empty.exits,
            l.corrections != empty.corrections,
            l.charges != empty.charges,
            l.priority_switches != empty.priority_switches,
            l.space != empty.space,
            l.book_replies != empty.book_replies,
            l.confirm_replies != empty.confirm_replies,
            l.coupon_replies != empty.coupon_replies,
            l.control_replies != empty.control_replies,
            l.digested != empty.digested,
        ];
        assert!(changed.iter().all(|&c| c));
        l.clear();
        assert_eq!(l, empty);
    }
}
