//! The run's messages as bytes: the garage's requests (login, garage info,
//! reports) encoded as SZTC frames or HTTP requests, the platform's
//! answers and downlinks, the garage's answers to those, and what the
//! platform recorded handed to the run's books after every call. Without
//! frames (`network.frames = false`) downlinks go straight into the engine
//! and nothing is encoded.

use super::booking::Resv;
use super::kernel::SimTime;
use super::reconcile::Kind;
use super::run::{
    DAY0, DES_KEY, Ev, PARK_CODE, PASSWORD, Sim, TOKEN_TTL_S, USER, amount, car, t2dt,
};
use crate::engine::{Command as Cmd, Effect, Reply as ERe, ReportId};
use crate::platform::http;
use crate::proto::envelope;
use crate::proto::frame::Direction;
use crate::proto::messages::{
    BookConfirmRequest, BookRequest, CouponDownlink, LoginRequest, RefreshRequest, Reply as PReply,
    Request, TcpLoginRequest,
};
use crate::proto::password::DesKey;
use crate::proto::time::DateTime;
use crate::proto::{Mode, ResultCode, SignAlgo};

impl Sim<'_> {
    fn des_key(&self) -> DesKey {
        // An 8-byte constant: `new` cannot fail on it.
        DesKey::new(DES_KEY).unwrap_or_else(|_| unreachable!("8-byte key"))
    }

    /// Garage info sent at the start: 3001, 3002, 3005.
    pub(super) fn garage_info(&self) -> Vec<Request> {
        use crate::proto::messages::*;
        let cfg = self.engine.config();
        let charging = ChargingStandard {
            charger: "parksim".into(),
            complaint_tel: "12358".into(),
            items: vec![cfg.tariff.charge_item()],
            park_code: PARK_CODE.into(),
            permit_no: "000001".into(),
            pricing: 3,
            pricing_sign: None,
            region: 2,
            remark: None,
        };
        let park = ParkInfoUpload {
            park_info: ParkInfo {
                address: None,
                charging: charging.clone(),
                indust_author_info: None,
                latitude: 22.54,
                longitude: 114.05,
                map_image: None,
                operator_id: "OP00000001".into(),
                park_code: PARK_CODE.into(),
                park_name: self.scn.name.chars().take(255).collect(),
                public_info: "全天 24 小时".into(),
                reservable_stalls: cfg.reservable_stalls as i64,
                road_name: None,
                service_type: 3,
                shenzhen_h: None,
                shenzhen_x: None,
                shenzhen_y: None,
                stagger_stalls: None,
                total_stalls: None,
            },
            status: 1,
        };
        let entrances = self
            .scn
            .garage
            .entrances
            .iter()
            .enumerate()
            .map(|(i, e)| EntranceUpload {
                entrance_exit_info: EntranceInfo {
                    garage_code: None,
                    id: format!("{:032x}", 0xE0 + i),
                    latitude: 22.54,
                    longitude: 114.05,
                    name: e.name.chars().take(10).collect(),
                    park_code: PARK_CODE.into(),
                    road_name: None,
                    kind: 1,
                },
                status: 1,
            })
            .collect();
        vec![
            Request::ParkInfo(vec![park]),
            Request::EntranceInfo(entrances),
            Request::ChargingStandard(vec![charging]),
        ]
    }

    /// Logs in on a new connection (1004 over TCP, 1001 over HTTPS), ahead
    /// of everything else.
    pub(super) fn garage_login(&mut self, t: SimTime) {
        if !self.frames() {
            return;
        }
        let password = self.des_key().encrypt(PASSWORD);
        let req = if self.link.http {
            self.link.token = None;
            Request::LoginHttp(vec![LoginRequest {
                callback_server: Some("https://garage.invalid/callback".into()),
                online_order_url: None,
                password,
                user_id: USER.into(),
            }])
        } else {
            Request::LoginTcp(vec![TcpLoginRequest {
                password,
                user_id: USER.into(),
            }])
        };
        let bytes = self.encode_up(&req, t);
        self.link.send(&mut self.q, t, (bytes, t, false));
    }

    /// A garage request as bytes: an SZTC frame (TCP) or an HTTP request
    /// without its Authorization header (added when it is sent).
    fn encode_up(&mut self, req: &Request, t: SimTime) -> Vec<u8> {
        if let Some(tape) = &mut self.tape
            && !req.command().is_auth()
        {
            tape.push((t, req.clone()));
        }
        let ts = t.secs() + DAY0.0;
        if self.link.http {
            let body = envelope::request_body(&req.data_json(), ts, SignAlgo::Sha1);
            return http::request(&format!("/api/1.0/{}", req.command().code()), None, &body);
        }
        let n = self.link.next_packet_no();
        envelope::request_frame(req, n, ts, SignAlgo::Sha1)
    }

    /// The garage sends a request (a report or garage info) that happened at `ev_t`.
    pub(super) fn garage_send(&mut self, t: SimTime, req: &Request, ev_t: SimTime, report: bool) {
        let bytes = self.encode_up(req, ev_t);
        self.link
            .send_or_buffer(&mut self.q, t, (bytes, ev_t, report));
    }

    /// Hands every effect the engine queued to the link (reports as frames),
    /// notes the garage's truth, and sends drivers turned round on their way.
    pub(super) fn drain_effects(&mut self, t: SimTime) {
        let frames = self.frames();
        while let Some(fx) = self.engine.poll() {
            match &fx {
                Effect::UTurn { car, entrance, .. } => {
                    // A vehicle already queued was sent round (its lane became
                    // reservation-only, or its booking lapsed there).
                    self.came_round(t, &car.plate_no, entrance.0);
                }
                Effect::Entry(r) if frames => self.books.sent(Kind::Entry, &r.id, r),
                Effect::Exit(r) if frames => self.books.sent(Kind::Exit, &r.id, r),
                Effect::Charge(c) if frames => self.books.sent(Kind::Charge, &c.id, c),
                Effect::PrioritySwitch(p) if frames => self.books.sent(Kind::Switch, &p.id, p),
                _ => {}
            }
            if frames && let Some(req) = fx.into_report() {
                self.garage_send(t, &req, t, true);
            }
        }
        if !frames && !self.coupon_due.is_empty() {
            self.platform_follow_up(t);
        }
    }

    /// The platform sends a downlink at `t`.
    pub(super) fn platform_send(&mut self, t: SimTime, req: Request) {
        if !self.frames() {
            // Straight into the engine, no bytes.
            self.garage_handle_downlink(t, req);
            return;
        }
        let now = t.secs() + DAY0.0;
        let (seq, bytes) = if self.link.http {
            self.platform.http_downlink(now, &req)
        } else {
            (0, self.platform.downlink(now, &req))
        };
        self.link.push_down(&mut self.q, t, bytes, seq);
    }

    /// The 6001 for booking `i` sent at `t`: 1 book, 2 change. `bookTime`
    /// is now (the lock starts when the garage gets it), `overTime` the
    /// booked arrival (a change: the moved one; at least a second later),
    /// `obligatTime` the scenario's hold.
    pub(super) fn send_book(&mut self, t: SimTime, i: usize, operate_type: i64) {
        let r = &self.resvs[i];
        let booked = match (operate_type, r.pending) {
            (2, Some(p)) => p,
            _ => r.booked,
        };
        let req = BookRequest {
            book_code: r.code.clone(),
            book_time: t2dt(t),
            car_info: car(&self.drivers_plate(r.driver)),
            obligat_time: self.scn.demand.obligat_min as i64,
            operate_type,
            over_time: t2dt(booked).max(DateTime(t2dt(t).0 + 1)),
            park_code: PARK_CODE.into(),
        };
        self.platform_send(t, Request::Book(vec![req]));
    }

    /// 6002 for booking `i`: 1 confirm, 0 cancel.
    pub(super) fn send_confirm(&mut self, t: SimTime, i: usize, status: i64) {
        let req = BookConfirmRequest {
            book_code: self.resvs[i].code.clone(),
            confirm_status: status,
            park_code: PARK_CODE.into(),
        };
        self.platform_send(t, Request::BookConfirm(vec![req]));
    }

    /// What the platform does once it has recorded something: a coupon
    /// (4002) for each reserved vehicle whose entry (5004) it now holds.
    fn platform_follow_up(&mut self, t: SimTime) {
        let Some(c) = self.scn.fees.reserved_coupon.clone() else {
            return;
        };
        let recorded: Vec<(ReportId, String)> = self
            .coupon_due
            .iter()
            // Without frames the platform learns of the entry at once.
            .filter(|(id, _)| !self.frames() || self.books.holds(Kind::Entry, &id.text()))
            .map(|(id, plate)| (*id, plate.clone()))
            .collect();
        for (id, plate) in recorded {
            self.coupon_due.remove(&id);
            let req = CouponDownlink {
                channel_org_code: None,
                // The record id's counter half, as its text writes it.
                coupon_no: {
                    let mut no = String::with_capacity(17);
                    no.push('C');
                    crate::proto::hex::push_lower(&mut no, id.n(), 16);
                    no
                },
                coupon_type: c.kind as i64,
                coupon_value: amount(c.value),
                discount_channel: Some("预约平台".into()),
                plate_no: plate,
                time: t2dt(t),
            };
            self.platform_send(t, Request::Coupon(vec![req]));
        }
    }

    /// Bytes reach the platform: a request (answered), or (HTTP) the
    /// garage's answer to a downlink.
    pub(super) fn uplink(&mut self, t: SimTime, epoch: u32, bytes: Vec<u8>, seq: u32) {
        if epoch != self.link.epoch {
            return; // lost with the connection
        }
        let now = t.secs() + DAY0.0;
        if self.link.http {
            if http::is_response(&bytes) {
                self.platform.http_downlink_response(seq, &bytes);
                self.platform_recorded();
            } else {
                let resp = self.platform.receive_http_bytes(now, &bytes);
                self.platform_recorded();
                self.platform_follow_up(t);
                self.link.answer_down(&mut self.q, t, resp, seq);
            }
            return;
        }
        let (link, q) = (&mut self.link, &mut self.q);
        self.platform
            .receive_each(now, &bytes, |r| link.answer_down(q, t, r, 0));
        self.platform_recorded();
        self.platform_follow_up(t);
    }

    /// What the platform recorded in its last call goes into the books
    /// (checked against what the garage sent) and leaves the platform.
    fn platform_recorded(&mut self) {
        self.books.fold(&mut self.platform.ledger);
    }

    /// Bytes from the platform reach the garage.
    pub(super) fn downlink(&mut self, t: SimTime, epoch: u32, bytes: &[u8], seq: u32) {
        if epoch != self.link.epoch {
            return;
        }
        if self.link.http {
            self.garage_receive_http(t, bytes, seq);
            return;
        }
        let mut rest = bytes;
        while let Some((f, n)) = self.link.decoder.take_whole(rest) {
            self.garage_frame(t, f.command, f.packet_no, f.direction, f.data);
            rest = &rest[n..];
        }
        if rest.is_empty() {
            return;
        }
        self.link.decoder.feed(rest);
        loop {
            match self.link.decoder.decode() {
                Ok(Some(f)) => self.garage_frame(t, f.command, f.packet_no, f.direction, &f.data),
                Ok(None) => break,
                Err(_) => self.counts.garage_frames_rejected += 1,
            }
        }
    }

    /// One frame from the platform: a reply to an uplink, or a downlink.
    fn garage_frame(
        &mut self,
        t: SimTime,
        command: u16,
        packet_no: u32,
        direction: Direction,
        data: &[u8],
    ) {
        if direction == Direction::Reply {
            // An answer to one of our uplinks: acknowledged.
            if envelope::reply_accepted(command, data, SignAlgo::Sha1, Mode::Lenient) {
                self.counts.garage_frames_verified += 1;
                self.link.unacked.remove(&packet_no);
            } else {
                self.counts.garage_frames_rejected += 1;
            }
            return;
        }
        let Ok((req, _)) = envelope::accepted_request(command, data, SignAlgo::Sha1, Mode::Lenient)
        else {
            self.counts.garage_frames_rejected += 1;
            return;
        };
        self.counts.garage_frames_verified += 1;
        if let Some(rep) = self.garage_handle_downlink(t, req) {
            let body = envelope::reply_frame(&rep, ResultCode::Ok, packet_no, t.secs() + DAY0.0);
            self.link.answer_up(&mut self.q, t, body, 0);
        }
    }

    /// An HTTP message reaches the garage: the response to one of its
    /// requests (`seq`), or a downlink request from the platform.
    fn garage_receive_http(&mut self, t: SimTime, bytes: &[u8], seq: u32) {
        if http::is_response(bytes) {
            let Some((sent, ev_t, report)) = self.link.unacked.remove(&seq) else {
                return;
            };
            match http::parse_response(bytes) {
                Ok((200, body)) => {
                    let cmd = http::parse_request(&sent)
                        .ok()
                        .and_then(|r| http::interface_code(r.path))
                        .unwrap_or(0);
                    let Ok(rep) =
                        envelope::accepted_reply(cmd, body, SignAlgo::Sha1, Mode::Lenient)
                    else {
                        self.counts.garage_frames_rejected += 1;
                        return;
                    };
                    self.counts.garage_frames_verified += 1;
                    // 1001 and 1002 answer with the (new) access token.
                    let token = match rep {
                        PReply::LoginHttp(items) => {
                            items.into_iter().next().map(|i| i.access_token)
                        }
                        PReply::RefreshToken(items) => {
                            items.into_iter().next().map(|i| i.access_token)
                        }
                        _ => None,
                    }
                    .filter(|s| !s.is_empty());
                    if let Some(tok) = token {
                        self.q
                            .schedule(SimTime(t.0 + (TOKEN_TTL_S - 600) * 1000), Ev::Refresh);
                        self.link.token_arrived(&mut self.q, t, tok);
                    }
                }
                Ok((401, _)) => {
                    // Token refused: log in again and resend this one.
                    self.counts.garage_frames_verified += 1;
                    self.link.retry_first((sent, ev_t, report));
                    if self.link.token.is_some() {
                        self.garage_login(t);
                    }
                }
                _ => self.counts.garage_frames_rejected += 1,
            }
            return;
        }
        let Ok(r) = http::parse_request(bytes) else {
            self.counts.garage_frames_rejected += 1;
            return;
        };
        let code = http::interface_code(r.path).unwrap_or(0);
        let (result, reply) =
            match envelope::accepted_request(code, r.body, SignAlgo::Sha1, Mode::Lenient) {
                Ok((req, _)) => {
                    self.counts.garage_frames_verified += 1;
                    (ResultCode::Ok, self.garage_handle_downlink(t, req))
                }
                Err(d) => {
                    self.counts.garage_frames_rejected += 1;
                    (d.result, None)
                }
            };
        let now = t.secs() + DAY0.0;
        let body = match reply {
            Some(rep) => envelope::reply_body(
                ResultCode::Ok,
                ResultCode::Ok.message(),
                now,
                &rep.data_json(),
            ),
            None => envelope::reply_body(result, result.message(), now, b"[]"),
        };
        self.link
            .answer_up(&mut self.q, t, http::response(200, &body), seq);
    }

    /// A downlink reaches the engine; returns the protocol reply.
    fn garage_handle_downlink(&mut self, t: SimTime, req: Request) -> Option<PReply> {
        let now = t2dt(t);
        let out = match req {
            Request::Book(items) => {
                let mut replies = Vec::new();
                for b in items {
                    let code = b.book_code.clone();
                    let change = b.operate_type == 2;
                    if let Ok(ERe::Book(r)) = self.engine.handle(now, Cmd::Book(b)) {
                        self.booking_answer(t, &code, r.code, change);
                        replies.push(r);
                    }
                }
                Some(PReply::Book(replies))
            }
            Request::BookConfirm(items) => {
                let mut replies = Vec::new();
                for c in items {
                    let code = c.book_code.clone();
                    let cancel = c.confirm_status == 0;
                    if let Ok(ERe::BookConfirm(r)) = self.engine.handle(now, Cmd::BookConfirm(c)) {
                        if cancel
                            && r.code == 0
                            && let Some(i) = Resv::index_of(&code).filter(|&i| i < self.resvs.len())
                        {
                            self.cancelled(t, i);
                        }
                        replies.push(r);
                    }
                }
                Some(PReply::BookConfirm(replies))
            }
            Request::Coupon(items) => Some(PReply::Coupon(
                items
                    .into_iter()
                    .filter_map(|c| match self.engine.handle(now, Cmd::Coupon(c)) {
                        Ok(ERe::Coupon(r)) => Some(r),
                        _ => None,
                    })
                    .collect(),
            )),
            Request::ControlList(items) => Some(PReply::ControlList(
                items
                    .into_iter()
                    .filter_map(|c| match self.engine.handle(now, Cmd::ControlList(c)) {
                        Ok(ERe::ControlList(r)) => Some(r),
                        _ => None,
                    })
                    .collect(),
            )),
            _ => None,
        };
        self.drain_effects(t);
        out
    }

    /// Renews the HTTPS token (1002).
    pub(super) fn refresh(&mut self, t: SimTime) {
        if let (true, Some(tok)) = (self.link.up, self.link.token.clone()) {
            let key = self.des_key();
            let req = Request::RefreshToken(vec![RefreshRequest {
                access_token: tok,
                password: key.encrypt(PASSWORD),
                user_id: USER.into(),
            }]);
            let bytes = self.encode_up(&req, t);
            self.link.send(&mut self.q, t, (bytes, t, false));
        }
    }

    pub(super) fn outage_start(&mut self) {
        self.link.outage_start();
        self.platform.disconnect();
    }

    pub(super) fn outage_end(&mut self, t: SimTime) {
        self.link.outage_end(t);
        self.garage_login(t);
        self.link.resume(&mut self.q, t);
    }

    /// What the platform recorded against what the garage sent.
    pub(super) fn reconcile(&self) -> Vec<String> {
        let snap = self.engine.snapshot();
        self.books.problems(snap.used, snap.unused, snap.reserved)
    }
}
