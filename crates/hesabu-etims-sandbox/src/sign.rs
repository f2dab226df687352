//! Everything the sandbox makes up — communication keys, device ids, tokens, receipt
//! signatures — derived from the seed with SHA-256, so one seed and one sequence of requests
//! give the same answers byte for byte. None of it is KRA's real algorithm (which is not
//! public); only the shapes are KRA's: a 32-hex-digit `cmcKey`, a 26-character `intrlData`, a
//! 16-character `rcptSign`, both upper-case letters and digits.

use sha2::{Digest, Sha256};

/// RFC 4648's base32 alphabet: upper-case letters and digits, as KRA's samples look.
const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// The digest of the seed and `parts` (separated, so `("ab","c")` differs from `("a","bc")`).
pub(crate) fn digest(seed: u64, parts: &[&str]) -> [u8; 32] {
    let mut hash = Sha256::new();
    hash.update(seed.to_be_bytes());
    for part in parts {
        hash.update([0x1f]);
        hash.update(part.as_bytes());
    }
    hash.finalize().into()
}

/// `len` base32 characters of the digest (at most 51).
pub(crate) fn base32(seed: u64, parts: &[&str], len: usize) -> String {
    let bytes = digest(seed, parts);
    let mut out = String::with_capacity(len);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for byte in bytes {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 && out.len() < len {
            bits -= 5;
            out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
        }
    }
    out
}

/// `len` lower-case hex digits of the digest (at most 64).
pub(crate) fn hex(seed: u64, parts: &[&str], len: usize) -> String {
    let mut text = ::hex::encode(digest(seed, parts));
    text.truncate(len);
    text
}

/// `len` decimal digits taken from the digest.
pub(crate) fn digits(seed: u64, parts: &[&str], len: usize) -> String {
    digest(seed, parts)
        .iter()
        .map(|b| char::from(b'0' + b % 10))
        .take(len)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_and_determinism() {
        let a = base32(7, &["P600004059A", "00", "1"], 26);
        assert_eq!(a.len(), 26);
        assert!(a.bytes().all(|b| ALPHABET.contains(&b)), "{a}");
        assert_eq!(a, base32(7, &["P600004059A", "00", "1"], 26));
        assert_ne!(a, base32(8, &["P600004059A", "00", "1"], 26));
        assert_ne!(
            base32(7, &["ab", "c"], 16),
            base32(7, &["a", "bc"], 16),
            "parts are separated"
        );
        let key = hex(7, &["k"], 32);
        assert_eq!(key.len(), 32);
        assert!(
            key.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        assert!(digits(7, &["d"], 16).bytes().all(|b| b.is_ascii_digit()));
    }
}
