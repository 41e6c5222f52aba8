//! The link between the garage and the platform: latency, order, outages
//! and the garage's resend discipline (7.3).
//!
//! Frames keep their order on the link (TCP): a frame is delivered at
//! `max(send + latency, previous delivery)` in its direction. During an
//! outage the garage buffers; frames in flight when it starts are lost and
//! resent. On reconnect the garage logs in again, sends real-time data
//! first and the backlog when the link is idle (one frame per 100 ms
//! without real-time traffic). Latencies draw from their own random stream,
//! so switching frames off leaves the garage's draws unchanged.

use super::dist::Dist;
use super::kernel::{EventQueue, SimTime};
use super::run::{Ev, SimError};
use crate::platform::http;
use crate::proto::codec::FrameDecoder;
use crate::proto::frame::next_packet_no;
use crate::scenario::{Scenario, Transport};
use rand::SeedableRng;
use rand::rngs::StdRng;
use std::collections::{BTreeMap, VecDeque};

/// A garage request on its way: its bytes, the time of its event, and
/// whether it is a report (counted for the 3 s rule).
pub type Pending = (Vec<u8>, SimTime, bool);

/// Counts of what crossed the link.
#[derive(Debug, Clone, Default)]
pub struct LinkStats {
    /// Every frame or HTTP message put on the link, both ways.
    pub frames_sent: u64,
    /// Report frames sent, and those reaching the platform within 3 s of
    /// their event.
    pub reports: u64,
    pub reports_within_3s: u64,
}

/// The garage's side of the link.
pub struct Link {
    pub up: bool,
    /// Bumped by every outage: a delivery of an older epoch was lost.
    pub epoch: u32,
    next_packet: u32,
    last_up: SimTime,
    last_down: SimTime,
    /// Sent and not yet answered: packetNo (TCP) or exchange number (HTTP).
    pub unacked: BTreeMap<u32, Pending>,
    /// Waiting for the link, oldest first.
    backlog: VecDeque<Pending>,
    /// Real-time requests waiting for a login (HTTP) or a reconnect.
    realtime: VecDeque<Pending>,
    last_realtime_send: SimTime,
    backlog_scheduled: bool,
    /// Downlinks the platform could not send during an outage.
    platform_out: VecDeque<(Vec<u8>, u32)>,
    pub decoder: FrameDecoder,
    /// HTTPS transport (else TCP frames).
    pub http: bool,
    /// The HTTPS access token, once 1001 answered.
    pub token: Option<String>,
    uplink: Dist,
    downlink: Dist,
    rng: StdRng,
    pub stats: LinkStats,
    /// Every frame or HTTP message put on the link, both ways, in sending
    /// order, when asked for ([`sent_frames`](super::run::sent_frames)).
    pub capture: Option<Vec<Vec<u8>>>,
}

impl Link {
    pub fn new(scn: &Scenario) -> Result<Link, SimError> {
        let build = |d: &super::dist::DistSpec| d.build().map_err(|e| SimError(e.to_string()));
        Ok(Link {
            up: true,
            epoch: 0,
            next_packet: 0,
            last_up: SimTime(0),
            last_down: SimTime(0),
            unacked: BTreeMap::new(),
            backlog: VecDeque::new(),
            realtime: VecDeque::new(),
            last_realtime_send: SimTime(0),
            backlog_scheduled: false,
            platform_out: VecDeque::new(),
            decoder: FrameDecoder::new(),
            http: scn.network.transport == Transport::Http,
            token: None,
            uplink: build(&scn.network.uplink_ms)?,
            downlink: build(&scn.network.downlink_ms)?,
            rng: StdRng::seed_from_u64(scn.seed ^ 0x6E65_7477_6F72_6B21),
            stats: LinkStats::default(),
            capture: None,
        })
    }

    /// Counts a frame put on the link (and keeps a copy when capturing).
    fn count_sent(&mut self, bytes: &[u8]) {
        self.stats.frames_sent += 1;
        if let Some(c) = &mut self.capture {
            c.push(bytes.to_vec());
        }
    }

    /// The next packetNo (1..=2^31−1, wrapping).
    pub fn next_packet_no(&mut self) -> u32 {
        self.next_packet = next_packet_no(self.next_packet);
        self.next_packet
    }

    fn up_time(&mut self, t: SimTime) -> SimTime {
        let lat = self.uplink.sample_nonneg(&mut self.rng);
        let at = SimTime((t.0 + lat.round() as i64).max(self.last_up.0));
        self.last_up = at;
        at
    }

    fn down_time(&mut self, t: SimTime) -> SimTime {
        let lat = self.downlink.sample_nonneg(&mut self.rng);
        let at = SimTime((t.0 + lat.round() as i64).max(self.last_down.0));
        self.last_down = at;
        at
    }

    /// A garage request goes out now if the link is up, else waits in the
    /// backlog.
    pub fn send_or_buffer(&mut self, q: &mut EventQueue<Ev>, t: SimTime, p: Pending) {
        if self.up {
            self.send_realtime(q, t, p);
        } else {
            self.backlog.push_back(p);
        }
    }

    /// A real-time request goes out (and holds the backlog back 100 ms).
    pub fn send_realtime(&mut self, q: &mut EventQueue<Ev>, t: SimTime, p: Pending) {
        self.last_realtime_send = t;
        self.send(q, t, p);
    }

    /// Puts a garage request on the link (HTTP: with the bearer token; held
    /// until a token comes if there is none yet).
    pub fn send(&mut self, q: &mut EventQueue<Ev>, t: SimTime, (bytes, ev_t, report): Pending) {
        let (seq, wire) = if self.http {
            let login = bytes.starts_with(b"POST /api/1.0/1001 ");
            let wire = match (&self.token, login) {
                (_, true) => bytes.clone(),
                (Some(tok), false) => match http::parse_request(&bytes) {
                    Ok(r) => http::request(r.path, Some(&format!("Bearer {tok}")), r.body),
                    Err(_) => bytes.clone(),
                },
                (None, false) => {
                    self.realtime.push_back((bytes, ev_t, report));
                    return;
                }
            };
            (self.next_packet_no(), wire)
        } else {
            (packet_no(&bytes).unwrap_or(0), bytes.clone())
        };
        let at = self.up_time(t);
        self.unacked.insert(seq, (bytes, ev_t, report));
        if report {
            self.stats.reports += 1;
            self.stats.reports_within_3s += u64::from(at.0 - ev_t.0 <= 3000);
        }
        self.count_sent(&wire);
        let seq = if self.http { seq } else { 0 };
        q.schedule(
            at,
            Ev::Uplink {
                epoch: self.epoch,
                bytes: wire,
                seq,
            },
        );
    }

    /// Bytes towards the garage, delivered after the downlink latency.
    fn schedule_down(&mut self, q: &mut EventQueue<Ev>, t: SimTime, bytes: Vec<u8>, seq: u32) {
        let at = self.down_time(t);
        let epoch = self.epoch;
        q.schedule(at, Ev::Downlink { epoch, bytes, seq });
    }

    /// The garage answers a downlink (not kept for resending).
    pub fn answer_up(&mut self, q: &mut EventQueue<Ev>, t: SimTime, bytes: Vec<u8>, seq: u32) {
        if self.up {
            let at = self.up_time(t);
            self.count_sent(&bytes);
            let epoch = self.epoch;
            q.schedule(at, Ev::Uplink { epoch, bytes, seq });
        }
    }

    /// The platform answers an uplink (the link was up to bring it).
    pub fn answer_down(&mut self, q: &mut EventQueue<Ev>, t: SimTime, bytes: Vec<u8>, seq: u32) {
        self.count_sent(&bytes);
        self.schedule_down(q, t, bytes, seq);
    }

    /// The platform sends a downlink: delivered, or held while the link is
    /// down.
    pub fn push_down(&mut self, q: &mut EventQueue<Ev>, t: SimTime, bytes: Vec<u8>, seq: u32) {
        self.count_sent(&bytes);
        if self.up {
            self.schedule_down(q, t, bytes, seq);
        } else {
            self.platform_out.push_back((bytes, seq));
        }
    }

    /// The connection drops: what was in flight is lost and will be resent.
    pub fn outage_start(&mut self) {
        self.up = false;
        self.epoch += 1;
        self.decoder = FrameDecoder::new();
        let lost: Vec<_> = std::mem::take(&mut self.unacked).into_values().collect();
        self.backlog.extend(lost);
    }

    /// The connection is back (the caller has just queued the login).
    pub fn outage_end(&mut self, t: SimTime) {
        self.up = true;
        self.last_up = self.last_up.max(t);
        self.last_down = self.last_down.max(t);
    }

    /// After the login: real-time data first, the platform's held
    /// downlinks, then the backlog when idle.
    pub fn resume(&mut self, q: &mut EventQueue<Ev>, t: SimTime) {
        let rt: Vec<_> = self.realtime.drain(..).collect();
        for p in rt {
            self.send_realtime(q, t, p);
        }
        let out: Vec<_> = self.platform_out.drain(..).collect();
        for (b, seq) in out {
            self.schedule_down(q, t, b, seq);
        }
        self.kick_backlog(q, t);
    }

    fn kick_backlog(&mut self, q: &mut EventQueue<Ev>, t: SimTime) {
        if !self.backlog.is_empty() && !self.backlog_scheduled {
            self.backlog_scheduled = true;
            q.schedule(SimTime(t.0 + 100), Ev::Backlog);
        }
    }

    /// One backlog step: a frame if the link has been idle for 100 ms.
    pub fn backlog_tick(&mut self, q: &mut EventQueue<Ev>, t: SimTime) {
        self.backlog_scheduled = false;
        if !self.up {
            return;
        }
        if t.0 - self.last_realtime_send.0 >= 100
            && let Some(p) = self.backlog.pop_front()
        {
            self.send(q, t, p);
        }
        self.kick_backlog(q, t);
    }

    /// A new access token: requests held for it go out.
    pub fn token_arrived(&mut self, q: &mut EventQueue<Ev>, t: SimTime, token: String) {
        self.token = Some(token);
        let held: Vec<_> = self.realtime.drain(..).collect();
        for p in held {
            self.send_realtime(q, t, p);
        }
    }

    /// A request refused for its token goes back to the front.
    pub fn retry_first(&mut self, p: Pending) {
        self.realtime.push_front(p);
    }
}

fn packet_no(frame: &[u8]) -> Option<u32> {
    frame
        .get(6..10)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

#[cfg(test)]
mod test {
    use super::*;

    fn link(sets: &[&str]) -> Link {
        let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
        let scn = Scenario::from_toml_with_overrides(crate::scenario::DEFAULT, &sets).unwrap();
        Link::new(&scn).unwrap()
    }

    fn frame(n: u32) -> Vec<u8> {
        let mut f = b"SZTC\x01\x00".to_vec();
        f.extend_from_slice(&n.to_be_bytes());
        f
    }

    #[test]
    fn frames_keep_their_order_and_outages_resend() {
        let mut l = link(&["network.uplink_ms={dist=\"uniform\",low=0,high=500}"]);
        let mut q = EventQueue::new();
        for n in 1..=50 {
            l.send_or_buffer(
                &mut q,
                SimTime(n as i64),
                (frame(n), SimTime(n as i64), true),
            );
        }
        let mut last = (SimTime(0), 0);
        while let Some((t, ev)) = q.pop() {
            let Ev::Uplink { bytes, .. } = ev else {
                panic!("only uplinks")
            };
            let n = packet_no(&bytes).unwrap();
            assert!(t >= last.0 && n > last.1, "in order");
            last = (t, n);
        }
        assert_eq!(l.unacked.len(), 50);
        assert_eq!(l.stats.reports, 50);
        // The link drops: everything unacknowledged waits, new frames too.
        l.outage_start();
        l.send_or_buffer(&mut q, SimTime(1000), (frame(51), SimTime(1000), true));
        assert!(q.pop().is_none());
        l.outage_end(SimTime(5000));
        l.resume(&mut q, SimTime(5000));
        // One backlog frame per 100 ms of idle link.
        let mut resent = 0;
        while let Some((t, ev)) = q.pop() {
            match ev {
                Ev::Backlog => l.backlog_tick(&mut q, t),
                Ev::Uplink { epoch, .. } => {
                    assert_eq!(epoch, 1);
                    resent += 1;
                }
                _ => panic!("unexpected"),
            }
        }
        assert_eq!(resent, 51);
    }
}
