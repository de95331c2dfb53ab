//! The simulated fleet: vehicle `i` of a seed always has the same VIN and home area, so events
//! of different tasks and runs refer to the same vehicles.

use crate::rng::Draw;

/// Separates the fleet's random streams from the events' (same seed, unrelated numbers).
const FLEET_STREAM: u64 = 0xF1EE7;

/// World manufacturer identifiers of a few real makers, for realistic-looking VINs.
const MANUFACTURERS: [&str; 8] = ["1FT", "1G1", "5YJ", "JHM", "KMH", "VF1", "WVW", "YV1"];
/// Characters allowed in a VIN: I, O and Q are excluded to avoid confusion with 1 and 0.
const VIN_CHARS: &[u8] = b"0123456789ABCDEFGHJKLMNPRSTUVWXYZ";
/// Model-year codes for 2020 to 2025.
const MODEL_YEARS: &[u8] = b"LMNPRS";
/// Weights of the ISO 3779 / FMVSS 115 check digit, by position.
const CHECK_WEIGHTS: [u32; 17] = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2];

/// City centres (latitude, longitude) vehicles are based around.
const CITIES: [(f64, f64); 8] = [
    (52.3676, 4.9041),    // Amsterdam
    (52.5200, 13.4050),   // Berlin
    (48.8566, 2.3522),    // Paris
    (40.4168, -3.7038),   // Madrid
    (41.8781, -87.6298),  // Chicago
    (37.7749, -122.4194), // San Francisco
    (35.6762, 139.6503),  // Tokyo
    (-33.8688, 151.2093), // Sydney
];

/// One vehicle of the fleet.
#[derive(Debug, Clone, PartialEq)]
pub struct Vehicle {
    pub vin: String,
    pub home_latitude: f64,
    pub home_longitude: f64,
}

/// Vehicle number `index` (below one million) of the fleet of `seed`.
pub fn vehicle(seed: u64, index: u64) -> Vehicle {
    let mut draw = Draw::new(&[seed, FLEET_STREAM, index]);
    let (city_lat, city_lon) = draw.pick(&CITIES).copied().unwrap_or(CITIES[0]);
    Vehicle {
        vin: vin(&mut draw, index),
        // Spread homes over roughly ±20 km around the city centre.
        home_latitude: city_lat + draw.range(-0.2, 0.2),
        home_longitude: city_lon + draw.range(-0.2, 0.2),
    }
}

/// A 17-character VIN with a valid check digit; the serial is the vehicle index, which keeps the
/// VINs of one fleet distinct.
fn vin(draw: &mut Draw, index: u64) -> String {
    let mut chars: Vec<u8> = Vec::with_capacity(17);
    chars.extend_from_slice(draw.pick(&MANUFACTURERS).unwrap_or(&"1FT").as_bytes());
    for _ in 0..5 {
        chars.push(*draw.pick(VIN_CHARS).unwrap_or(&b'0'));
    }
    chars.push(b'0'); // check digit, computed below
    chars.push(*draw.pick(MODEL_YEARS).unwrap_or(&b'R'));
    chars.push(*draw.pick(&VIN_CHARS[10..]).unwrap_or(&b'A'));
    chars.extend_from_slice(format!("{:06}", index % 1_000_000).as_bytes());
    chars[8] = check_digit(&chars);
    String::from_utf8_lossy(&chars).into_owned()
}

fn check_digit(chars: &[u8]) -> u8 {
    let sum: u32 = chars
        .iter()
        .zip(CHECK_WEIGHTS)
        .map(|(c, w)| transliterate(*c) * w)
        .sum();
    match sum % 11 {
        10 => b'X',
        digit => b'0' + digit as u8,
    }
}

/// The numeric value of a VIN character in the check-digit computation.
fn transliterate(c: u8) -> u32 {
    match c {
        b'0'..=b'9' => u32::from(c - b'0'),
        b'A'..=b'H' => u32::from(c - b'A') + 1,
        b'J'..=b'N' => u32::from(c - b'J') + 1,
        b'P' => 7,
        b'R' => 9,
        b'S'..=b'Z' => u32::from(c - b'S') + 2,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vins_are_valid_and_distinct() {
        let vins: Vec<String> = (0..200).map(|i| vehicle(7, i).vin).collect();
        for vin in &vins {
            assert_eq!(vin.len(), 17, "{vin}");
            assert!(vin.bytes().all(|c| VIN_CHARS.contains(&c)), "{vin}");
            assert_eq!(check_digit(vin.as_bytes()), vin.as_bytes()[8], "{vin}");
        }
        let mut unique = vins.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), vins.len());
    }

    #[test]
    fn known_check_digit() {
        // The textbook example VIN 1M8GDM9AXKP042788 has check digit X.
        assert_eq!(check_digit(b"1M8GDM9A_KP042788"), b'X');
    }

    #[test]
    fn fleet_depends_on_seed_only() {
        assert_eq!(vehicle(1, 3), vehicle(1, 3));
        assert_ne!(vehicle(1, 3).vin, vehicle(2, 3).vin);
    }
}
