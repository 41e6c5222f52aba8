//! The simulator (issue 4, in progress): the discrete-event kernel and the
//! distributions of a scenario's random quantities.

pub mod dist;
pub mod kernel;
pub mod run;
pub mod tables;
