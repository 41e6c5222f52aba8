//! The barriers as the simulator drives them: entrance gates (service
//! times, busy or free, per-entrance figures) and exit lanes (a queue per
//! lane, the least busy one chosen). Who may enter is the engine's
//! decision; these types only keep time and count.

use super::demand::DriverId;
use super::dist::Dist;
use super::run::SimError;
use crate::engine::{Engine, EntranceId, LaneKind};
use crate::scenario::Scenario;
use rand::rngs::StdRng;
use std::collections::VecDeque;

/// One entrance barrier.
#[derive(Debug, Clone)]
pub struct Gate {
    /// A vehicle is passing (the barrier cannot admit another).
    pub busy: bool,
    service: Dist,
    manual: Dist,
    /// Longest queue seen after the warm-up [vehicles].
    pub max_queue: u32,
    /// Vehicles admitted after the warm-up.
    pub entered: u64,
    /// Sum of minute samples of the queue after the warm-up.
    pub queue_samples: u64,
}

/// The entrance barriers, by entrance index.
#[derive(Debug, Clone)]
pub struct Gates {
    gates: Vec<Gate>,
}

fn build(d: &super::dist::DistSpec) -> Result<Dist, SimError> {
    d.build().map_err(|e| SimError(e.to_string()))
}

impl Gates {
    pub fn new(scn: &Scenario) -> Result<Gates, SimError> {
        let gates = scn
            .garage
            .entrances
            .iter()
            .map(|e| {
                let service = build(&e.service_s)?;
                let manual = match &e.manual_service_s {
                    Some(m) => build(m)?,
                    None => Dist::Constant(3.0 * service.mean()),
                };
                Ok(Gate {
                    busy: false,
                    service,
                    manual,
                    max_queue: 0,
                    entered: 0,
                    queue_samples: 0,
                })
            })
            .collect::<Result<Vec<_>, SimError>>()?;
        Ok(Gates { gates })
    }

    pub fn len(&self) -> usize {
        self.gates.len()
    }

    pub fn is_empty(&self) -> bool {
        self.gates.is_empty()
    }

    pub fn get(&self, e: usize) -> &Gate {
        &self.gates[e]
    }

    pub fn iter(&self) -> impl Iterator<Item = &Gate> {
        self.gates.iter()
    }

    /// A vehicle starts through gate `e`: it is busy for the returned
    /// service time [s] (`manual`: an attendant confirms it).
    pub fn start(&mut self, e: usize, manual: bool, counted: bool, rng: &mut StdRng) -> f64 {
        let g = &mut self.gates[e];
        g.busy = true;
        g.entered += u64::from(counted);
        if manual {
            g.manual.sample_nonneg(rng)
        } else {
            g.service.sample_nonneg(rng)
        }
    }

    /// Gate `e`'s barrier closed behind its vehicle.
    pub fn done(&mut self, e: usize) {
        self.gates[e].busy = false;
    }

    /// A queue of `len` vehicles formed at gate `e`.
    pub fn saw_queue(&mut self, e: usize, len: u32) {
        let g = &mut self.gates[e];
        g.max_queue = g.max_queue.max(len);
    }

    pub fn sample(&mut self, e: usize, len: u32) {
        self.gates[e].queue_samples += len as u64;
    }
}

/// Where a driver goes in: a reserved driver to the reservation-only
/// entrance (if any), everyone else to the shortest queue among the
/// others (the only entrance of a one-entrance garage).
pub fn choose_entrance(engine: &Engine, n: usize, reserved: bool) -> usize {
    let reserved_only = |e: usize| engine.lane(EntranceId(e)) == Some(LaneKind::ReservedOnly);
    if reserved && let Some(e) = (0..n).find(|&e| reserved_only(e)) {
        return e;
    }
    (0..n)
        .filter(|&e| n == 1 || !reserved_only(e))
        .min_by_key(|&e| engine.queue_len(EntranceId(e)))
        .unwrap_or(0)
}

/// An entrance a driver turned round at `from` can drive to: the first
/// one that is not reservation-only.
pub fn other_entrance(engine: &Engine, n: usize, from: usize) -> Option<usize> {
    (0..n)
        .find(|&x| engine.lane(EntranceId(x)) != Some(LaneKind::ReservedOnly))
        .filter(|&x| x != from)
}

#[derive(Debug, Clone)]
struct ExitLane {
    serving: Option<DriverId>,
    queue: VecDeque<DriverId>,
    service: Dist,
}

/// The exit lanes: a driver joins the least busy one and is served in
/// order; the engine decides at the barrier whether they may leave.
#[derive(Debug, Clone)]
pub struct Exits {
    lanes: Vec<ExitLane>,
}

impl Exits {
    pub fn new(scn: &Scenario) -> Result<Exits, SimError> {
        let lanes = scn
            .garage
            .exits
            .iter()
            .map(|x| {
                Ok(ExitLane {
                    serving: None,
                    queue: VecDeque::new(),
                    service: build(&x.service_s)?,
                })
            })
            .collect::<Result<Vec<_>, SimError>>()?;
        Ok(Exits { lanes })
    }

    /// `d` queues at the least busy exit (the first among equals); returns it.
    pub fn join(&mut self, d: DriverId) -> usize {
        let x = (0..self.lanes.len())
            .min_by_key(|&x| {
                let l = &self.lanes[x];
                l.queue.len() + usize::from(l.serving.is_some())
            })
            .unwrap_or(0);
        if let Some(l) = self.lanes.get_mut(x) {
            l.queue.push_back(d);
        }
        x
    }

    /// If exit `x` is free and someone queues there, starts serving them;
    /// returns the service time [s].
    pub fn start(&mut self, x: usize, rng: &mut StdRng) -> Option<f64> {
        let l = self.lanes.get_mut(x)?;
        if l.serving.is_some() {
            return None;
        }
        let d = l.queue.pop_front()?;
        l.serving = Some(d);
        Some(l.service.sample_nonneg(rng))
    }

    /// Exit `x` finished serving; who it served.
    pub fn done(&mut self, x: usize) -> Option<DriverId> {
        self.lanes.get_mut(x)?.serving.take()
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn exits_serve_in_order_at_the_least_busy_lane() {
        let text = crate::scenario::DEFAULT.replace(
            "[[garage.exits]]\nname = \"X\"",
            "[[garage.exits]]\nname = \"Y\"\nservice_s = { dist = \"constant\", value = 5.0 }\n\n[[garage.exits]]\nname = \"X\"",
        );
        let scn = Scenario::from_toml(&text).unwrap();
        let mut x = Exits::new(&scn).unwrap();
        let mut rng = StdRng::seed_from_u64(1);
        assert_eq!(x.join(DriverId(1)), 0);
        assert_eq!(x.start(0, &mut rng), Some(5.0));
        // Lane 0 is busy: the next driver takes lane 1.
        assert_eq!(x.join(DriverId(2)), 1);
        assert_eq!(x.join(DriverId(3)), 0);
        assert_eq!(x.start(0, &mut rng), None, "busy");
        assert_eq!(x.done(0), Some(DriverId(1)));
        assert_eq!(x.start(0, &mut rng), Some(5.0));
        assert_eq!(x.done(0), Some(DriverId(3)));
        assert_eq!(x.start(1, &mut rng), Some(8.0));
        assert_eq!(x.done(1), Some(DriverId(2)));
        assert_eq!(x.done(1), None);
    }

    #[test]
    fn gates_count_after_the_warm_up_only() {
        let scn = Scenario::default_hospital();
        let mut g = Gates::new(&scn).unwrap();
        let mut rng = StdRng::seed_from_u64(1);
        let s = g.start(0, false, false, &mut rng);
        assert!(s > 0.0 && g.get(0).busy);
        g.done(0);
        g.start(0, true, true, &mut rng);
        assert_eq!(g.get(0).entered, 1);
        g.saw_queue(1, 4);
        g.saw_queue(1, 2);
        assert_eq!(g.get(1).max_queue, 4);
    }
}
