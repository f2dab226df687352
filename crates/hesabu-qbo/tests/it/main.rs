//! The QuickBooks client against the recorded fixtures and the local sandbox (loopback, port 0).

mod calls;
mod fixtures;
mod oauth;
mod support;
