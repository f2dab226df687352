//! Hostile and careless input (issue 14): each test here was written failing against the code
//! before its fix. A module per area: damaged and foreign files, money at the limits, imports,
//! JSON definitions and permissions.

mod definitions;
mod files;
mod imports;
mod money;
