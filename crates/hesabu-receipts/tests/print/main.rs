//! Printing tested from outside: the ESC/POS bytes read back with `print::fake::decode` and
//! compared with the roll layout the PDFs draw, a whole print to the loopback fake printer
//! (and its failures), and CUPS through fake `lp` / `lpstat` scripts. One binary, a module per
//! area.

mod cups;
mod escpos;
mod network;
mod real;
