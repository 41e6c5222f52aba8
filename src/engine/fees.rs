//! Tariffs, coupons and payment types (7.1.3.2, tables 8, 9, 37).
//!
//! The standard leaves the tariff as free text (`chargeDesc`). parksim
//! models it as a price for the first started hour, a price for each
//! further started hour, an optional cap per 24 h from entry, and a free
//! stay; [`Tariff::charge_desc`] renders the text from that.

use crate::proto::messages::{Amount, ChargeItem, CouponDownlink};
use rust_decimal::{Decimal, RoundingStrategy};
use std::fmt;

/// A tariff. All amounts in yuan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tariff {
    /// Price of the first started hour \[yuan\].
    pub first_hour: Amount,
    /// Price of each further started hour \[yuan/h\].
    pub per_hour: Amount,
    /// Most charged per 24 h counted from entry \[yuan\]; `None`: no cap.
    pub daily_cap: Option<Amount>,
    /// A stay of at most this long is free \[min\]; a longer stay is charged
    /// from entry.
    pub free_minutes: u32,
}

impl Default for Tariff {
    /// The standard's example (7.1.3.7): 15 yuan first hour, 3 yuan per
    /// further hour, with a 60-yuan daily cap and no free stay.
    fn default() -> Self {
        Tariff {
            first_hour: Amount::new(1500),
            per_hour: Amount::new(300),
            daily_cap: Some(Amount::new(6000)),
            free_minutes: 0,
        }
    }
}

const DAY: i64 = 86_400;
const HOUR: i64 = 3_600;

fn round2(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

impl Tariff {
    /// Amounts within 0 ..= 1 000 000 yuan (keeps every fee far from
    /// `Decimal` overflow).
    pub fn is_valid(&self) -> bool {
        let ok = |a: Amount| a.0 >= Decimal::ZERO && a.0 <= Decimal::from(1_000_000);
        ok(self.first_hour) && ok(self.per_hour) && self.daily_cap.is_none_or(ok)
    }

    /// Fee of one 24 h period with `hours` started hours (1..=24); the
    /// first period's first hour is priced `first_hour`.
    fn period_fee(&self, hours: i64, first_period: bool) -> Decimal {
        let per = self.per_hour.0;
        let raw = if first_period {
            self.first_hour.0 + per * Decimal::from(hours - 1)
        } else {
            per * Decimal::from(hours)
        };
        match self.daily_cap {
            Some(cap) => raw.min(cap.0),
            None => raw,
        }
    }

    /// Fee of a stay of `secs` seconds \[yuan\]. O(1). Negative stays are free.
    pub fn fee(&self, secs: i64) -> Amount {
        if secs <= self.free_minutes as i64 * 60 {
            return Amount::ZERO;
        }
        let days = secs / DAY;
        let rest = secs % DAY;
        let mut total = Decimal::ZERO;
        if days > 0 {
            total += self.period_fee(24, true);
            if days > 1 {
                total += self.period_fee(24, false) * Decimal::from(days - 1);
            }
        }
        if rest > 0 {
            let hours = (rest + HOUR - 1) / HOUR;
            total += self.period_fee(hours, days == 0);
        }
        Amount(round2(total))
    }

    /// The fees of stays shorter than a day, one per started hour, computed
    /// once by [`Tariff::fee`] itself; see [`FeeTable`].
    pub fn table(&self) -> FeeTable {
        let first_day = std::array::from_fn(|h| {
            if h == 0 {
                Amount::ZERO
            } else {
                Amount(round2(Decimal::ZERO + self.period_fee(h as i64, true)))
            }
        });
        FeeTable {
            tariff: self.clone(),
            first_day,
        }
    }

    /// The `chargeDesc` text (table 4), e.g.
    /// "第一小时 15.00 元，第二小时起 3.00 元/小时，每天最高收费 60.00 元".
    pub fn charge_desc(&self) -> String {
        let mut s = format!(
            "第一小时 {} 元，第二小时起 {} 元/小时",
            self.first_hour, self.per_hour
        );
        if let Some(cap) = self.daily_cap {
            s.push_str(&format!("，每天最高收费 {cap} 元"));
        }
        if self.free_minutes > 0 {
            s.push_str(&format!("，{} 分钟内免费", self.free_minutes));
        }
        s
    }

    /// The tariff as a table 4 charge item ("小车临时停放").
    pub fn charge_item(&self) -> ChargeItem {
        ChargeItem {
            charge_desc: self.charge_desc(),
            charge_item: "小车临时停放".into(),
        }
    }
}

/// A [`Tariff`] with the fees of its first day looked up, not computed:
/// a stay shorter than 24 h costs what its number of started hours costs,
/// so 24 `Decimal` values answer every such stay. Each is the very value
/// [`Tariff::fee`] computes (same operations, same scale); longer stays
/// are computed by it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeeTable {
    tariff: Tariff,
    /// Index: started hours of a stay within its first day (1..=24).
    first_day: [Amount; 25],
}

impl FeeTable {
    /// The tariff it answers for.
    pub fn tariff(&self) -> &Tariff {
        &self.tariff
    }

    /// Equal to `self.tariff().fee(secs)`. O(1), no arithmetic below a day.
    pub fn fee(&self, secs: i64) -> Amount {
        if secs <= self.tariff.free_minutes as i64 * 60 || secs >= DAY {
            return self.tariff.fee(secs);
        }
        self.first_day[((secs + HOUR - 1) / HOUR) as usize]
    }
}

/// Coupon types (table 9 `couponType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CouponKind {
    /// 0: no discount.
    None,
    /// 1: amount off \[yuan\].
    Amount,
    /// 2: hours off \[h\].
    Hours,
    /// 3: fraction off (0.3 = 30 % off).
    Fraction,
    /// 4: free.
    Free,
}

impl CouponKind {
    pub fn from_code(code: i64) -> Option<CouponKind> {
        Some(match code {
            0 => CouponKind::None,
            1 => CouponKind::Amount,
            2 => CouponKind::Hours,
            3 => CouponKind::Fraction,
            4 => CouponKind::Free,
            _ => return None,
        })
    }

    pub const fn code(self) -> i64 {
        match self {
            CouponKind::None => 0,
            CouponKind::Amount => 1,
            CouponKind::Hours => 2,
            CouponKind::Fraction => 3,
            CouponKind::Free => 4,
        }
    }

    /// Order of application: free, then hours, then fraction, then amount.
    fn rank(self) -> u8 {
        match self {
            CouponKind::Free => 0,
            CouponKind::Hours => 1,
            CouponKind::Fraction => 2,
            CouponKind::Amount => 3,
            CouponKind::None => 4,
        }
    }

    /// Whether `value` is meaningful for this kind (amounts and hours
    /// 0 ..= 1 000 000, a fraction 0 ..= 1).
    pub fn value_ok(self, value: Decimal) -> bool {
        match self {
            CouponKind::Fraction => value >= Decimal::ZERO && value <= Decimal::ONE,
            CouponKind::Amount | CouponKind::Hours => {
                value >= Decimal::ZERO && value <= Decimal::from(1_000_000)
            }
            CouponKind::None | CouponKind::Free => true,
        }
    }
}

/// Payment types (table 8 `payType`, 6.12).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PayType {
    Cash,
    WeChat,
    Alipay,
    UnionPay,
    Etc,
    Other,
}

impl PayType {
    pub const fn code(self) -> i64 {
        match self {
            PayType::Cash => 1,
            PayType::WeChat => 2,
            PayType::Alipay => 3,
            PayType::UnionPay => 4,
            PayType::Etc => 5,
            PayType::Other => 6,
        }
    }

    pub fn from_code(code: i64) -> Option<PayType> {
        Some(match code {
            1 => PayType::Cash,
            2 => PayType::WeChat,
            3 => PayType::Alipay,
            4 => PayType::UnionPay,
            5 => PayType::Etc,
            6 => PayType::Other,
            _ => return None,
        })
    }
}

impl fmt::Display for PayType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code())
    }
}

/// The outcome of applying coupons to an amount due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discounted {
    /// Total discount \[yuan\], at most the amount due.
    pub discount: Amount,
    /// The coupons applied, in application order, with the yuan each took.
    pub applied: Vec<(CouponDownlink, Amount)>,
}

/// Applies `coupons` to `due` yuan for a stay of `stay_secs` seconds.
///
/// Order: free (4) takes everything; hours off (2) take the fee of the
/// last hours of the stay (`fee(stay) − fee(stay − h)`); a fraction (3)
/// takes that share of what is left; an amount (1) takes that many yuan of
/// what is left. Coupons of one kind apply in the order given. The amount
/// never goes below zero; each step is rounded to the fen.
pub fn apply_coupons(
    tariff: &Tariff,
    stay_secs: i64,
    due: Amount,
    coupons: &[CouponDownlink],
) -> Discounted {
    let mut order: Vec<(u8, usize)> = coupons
        .iter()
        .enumerate()
        .filter_map(|(i, c)| CouponKind::from_code(c.coupon_type).map(|k| (k.rank(), i)))
        .collect();
    order.sort();
    let mut left = due.0.max(Decimal::ZERO);
    let mut applied = Vec::new();
    for (_, i) in order {
        let c = &coupons[i];
        let Some(kind) = CouponKind::from_code(c.coupon_type) else {
            continue;
        };
        let v = c.coupon_value.0;
        let take = match kind {
            CouponKind::None => Decimal::ZERO,
            CouponKind::Free => left,
            CouponKind::Hours => {
                let off = (v * Decimal::from(HOUR)).trunc();
                let off: i64 = off.try_into().unwrap_or(i64::MAX);
                let shorter = stay_secs.saturating_sub(off).max(0);
                let cut = tariff.fee(stay_secs).0 - tariff.fee(shorter).0;
                cut.max(Decimal::ZERO).min(left)
            }
            CouponKind::Fraction => round2(left * v.clamp(Decimal::ZERO, Decimal::ONE)),
            CouponKind::Amount => v.max(Decimal::ZERO).min(left),
        };
        left -= take;
        applied.push((c.clone(), Amount(take)));
    }
    Discounted {
        discount: Amount(due.0.max(Decimal::ZERO) - left),
        applied,
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::proto::time::DateTime;

    fn coupon(kind: i64, value: Amount) -> CouponDownlink {
        CouponDownlink {
            channel_org_code: None,
            coupon_no: format!("C{kind}"),
            coupon_type: kind,
            coupon_value: value,
            discount_channel: None,
            plate_no: "粤B88888".into(),
            time: DateTime(0),
        }
    }

    #[test]
    fn standard_example_three_hours_is_21_and_10_with_coupon() {
        let t = Tariff::default();
        assert_eq!(t.fee(3 * HOUR), Amount::new(2100));
        let d = apply_coupons(
            &t,
            3 * HOUR,
            Amount::new(2100),
            &[coupon(1, Amount::new(1100))],
        );
        assert_eq!(d.discount, Amount::new(1100));
        assert_eq!(
            Amount(Amount::new(2100).0 - d.discount.0),
            Amount::new(1000)
        );
    }

    #[test]
    fn fee_table() {
        let t = Tariff::default();
        for (secs, cents) in [
            (0, 0),
            (1, 1500),
            (HOUR, 1500),
            (HOUR + 1, 1800),
            (2 * HOUR, 1800),
            (3 * HOUR, 2100),
            (16 * HOUR, 6000),
            (24 * HOUR, 6000),
            (24 * HOUR + 1, 6300),
            (48 * HOUR, 12000),
        ] {
            assert_eq!(t.fee(secs), Amount::new(cents), "{secs} s");
        }
        let free = Tariff {
            free_minutes: 15,
            daily_cap: None,
            ..Tariff::default()
        };
        assert_eq!(free.fee(15 * 60), Amount::ZERO);
        assert_eq!(free.fee(15 * 60 + 1), Amount::new(1500));
        assert_eq!(free.fee(48 * HOUR), Amount::new(1500 + 47 * 300));
        assert_eq!(free.fee(-5), Amount::ZERO);
    }

    /// The table gives exactly the computed fee, scale included, for
    /// tariffs with and without cap, free time and odd decimals.
    #[test]
    fn table_equals_the_computed_fee() {
        let tariffs = [
            Tariff::default(),
            Tariff {
                first_hour: Amount(Decimal::new(15, 0)),
                per_hour: Amount(Decimal::new(35, 1)),
                daily_cap: None,
                free_minutes: 30,
            },
            Tariff {
                first_hour: Amount(Decimal::new(12345, 3)),
                per_hour: Amount(Decimal::new(2005, 3)),
                daily_cap: Some(Amount(Decimal::new(2001, 2))),
                free_minutes: 0,
            },
        ];
        for t in &tariffs {
            let table = t.table();
            for secs in (-7..3 * DAY)
                .step_by(97)
                .chain([0, 1, HOUR, HOUR + 1, DAY - 1, DAY])
            {
                let (a, b) = (table.fee(secs), t.fee(secs));
                assert_eq!(a, b, "{secs} s");
                assert_eq!(a.0.to_string(), b.0.to_string(), "scale at {secs} s");
            }
        }
    }

    #[test]
    fn charge_desc_text() {
        assert_eq!(
            Tariff::default().charge_desc(),
            "第一小时 15.00 元，第二小时起 3.00 元/小时，每天最高收费 60.00 元"
        );
        let t = Tariff {
            daily_cap: None,
            free_minutes: 30,
            ..Tariff::default()
        };
        assert_eq!(
            t.charge_desc(),
            "第一小时 15.00 元，第二小时起 3.00 元/小时，30 分钟内免费"
        );
        assert_eq!(t.charge_item().charge_item, "小车临时停放");
    }

    #[test]
    fn every_coupon_kind() {
        let t = Tariff::default();
        let due = Amount::new(2100);
        let off = |c: CouponDownlink| apply_coupons(&t, 3 * HOUR, due, &[c]).discount;
        assert_eq!(off(coupon(0, Amount::ZERO)), Amount::ZERO);
        assert_eq!(off(coupon(1, Amount::new(1100))), Amount::new(1100));
        assert_eq!(off(coupon(1, Amount::new(5000))), Amount::new(2100));
        // 2 hours off a 3-hour stay: 21 − 15 = 6 yuan.
        assert_eq!(off(coupon(2, Amount::new(200))), Amount::new(600));
        assert_eq!(off(coupon(2, Amount::new(300))), Amount::new(2100));
        // 0.3 = 30 % off.
        assert_eq!(off(coupon(3, Amount::new(30))), Amount::new(630));
        assert_eq!(off(coupon(4, Amount::new(100))), Amount::new(2100));
        // Combined: 30 % off then 5 yuan: 21 → 14.70 → 9.70.
        let d = apply_coupons(
            &t,
            3 * HOUR,
            due,
            &[coupon(1, Amount::new(500)), coupon(3, Amount::new(30))],
        );
        assert_eq!(d.discount, Amount::new(1130));
        assert_eq!(d.applied[0].0.coupon_type, 3);
        assert_eq!(d.applied[1].1, Amount::new(500));
    }
}
