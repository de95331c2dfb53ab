//! Log sequence numbers: positions in the write-ahead log, written `X/Y` in hexadecimal.

use std::fmt;

/// A WAL position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Lsn(pub u64);

impl Lsn {
    /// Parses PostgreSQL's `16/B374D848` notation.
    pub fn parse(text: &str) -> Result<Lsn, String> {
        let (high, low) = text
            .trim()
            .split_once('/')
            .ok_or_else(|| format!("'{text}' is not an LSN (expected X/Y)"))?;
        let high = u32::from_str_radix(high, 16).map_err(|_| format!("'{text}' is not an LSN"))?;
        let low = u32::from_str_radix(low, 16).map_err(|_| format!("'{text}' is not an LSN"))?;
        Ok(Lsn((u64::from(high) << 32) | u64::from(low)))
    }
}

impl fmt::Display for Lsn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:X}/{:X}", self.0 >> 32, self.0 & 0xFFFF_FFFF)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_the_text_form() {
        let lsn = Lsn::parse("16/B374D848").unwrap();
        assert_eq!(lsn.0, 0x16_B374_D848);
        assert_eq!(lsn.to_string(), "16/B374D848");
        assert_eq!(Lsn(0).to_string(), "0/0");
        assert!(Lsn::parse("16B374D848").is_err());
        assert!(Lsn::parse("x/1").is_err());
    }
}
