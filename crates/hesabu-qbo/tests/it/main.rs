//! The QuickBooks client against the recorded fixtures and the local sandbox (loopback, port 0),
//! its rate limit included.

mod batch;
mod calls;
mod fixtures;
mod limits;
mod oauth;
mod support;
