//! parksim: a discrete-event simulator and capacity planner for reservation
//! garages, built on a real implementation of the Shenzhen group standard
//! T/SZPIA 001—2020 (the garage ↔ reservation platform interface).
//!
//! See ARCHITECTURE.md for the map.

pub mod calibrate;
pub mod engine;
pub mod net;
pub mod planner;
pub mod platform;
pub mod plot;
pub mod proto;
pub mod report;
pub mod scenario;
pub mod sim;
#[cfg(test)]
mod testing;
