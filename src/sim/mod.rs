//! The simulator: the discrete-event kernel, the distributions of a
//! scenario's random quantities, and one run split into its parts (demand,
//! bookings, lanes, the link, the wire, the summary) driven by
//! [`run::run`].

pub mod booking;
pub mod demand;
pub mod dist;
pub mod kernel;
pub mod lanes;
mod link;
mod reconcile;
mod reserve;
pub mod run;
pub mod summary;
pub mod tables;
mod wire;
