//! BCD fields: the terminal phone number and the GMT+8 `YYMMDDhhmmss` time.

use crate::error::{Error, Result};

/// Offset of the protocol's time zone (Beijing time, GMT+8) in seconds.
const GMT8_S: i64 = 8 * 3600;

/// The digits of a BCD field, two per byte, high nibble first.
pub(crate) fn decode_digits(bytes: &[u8], field: &'static str) -> Result<String> {
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        for nibble in [b >> 4, b & 0x0f] {
            let c = char::from_digit(u32::from(nibble), 10).ok_or(Error::BadBcd { field })?;
            s.push(c);
        }
    }
    Ok(s)
}

/// A string of decimal digits as `n` BCD bytes, padded with leading zeros.
pub(crate) fn encode_digits(
    out: &mut Vec<u8>,
    digits: &str,
    n: usize,
    field: &'static str,
) -> Result<()> {
    let digits = digits.as_bytes();
    if digits.len() > 2 * n || !digits.iter().all(u8::is_ascii_digit) {
        return Err(Error::BadField { field });
    }
    let pad = 2 * n - digits.len();
    let nibble = |i: usize| {
        i.checked_sub(pad)
            .and_then(|j| digits.get(j))
            .map_or(0, |d| d - b'0')
    };
    out.extend((0..n).map(|i| (nibble(2 * i) << 4) | nibble(2 * i + 1)));
    Ok(())
}

/// A `BCD[6]` `YYMMDDhhmmss` time in GMT+8 (years 2000–2099) as UTC epoch
/// seconds.
pub(crate) fn decode_time(bcd: [u8; 6]) -> Result<i64> {
    let mut f = [0u8; 6];
    for (v, b) in f.iter_mut().zip(bcd) {
        let (hi, lo) = (b >> 4, b & 0x0f);
        if hi > 9 || lo > 9 {
            return Err(Error::BadBcd { field: "time" });
        }
        *v = hi * 10 + lo;
    }
    let [yy, month, day, hour, minute, second] = f;
    let year = 2000 + i64::from(yy);
    if !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return Err(Error::BadTime(format!(
            "{year}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02}"
        )));
    }
    let local = days_from_civil(year, month, day) * 86_400
        + i64::from(hour) * 3600
        + i64::from(minute) * 60
        + i64::from(second);
    Ok(local - GMT8_S)
}

/// UTC epoch seconds as a `BCD[6]` GMT+8 time; the local year must be
/// 2000–2099.
pub(crate) fn encode_time(epoch_s: i64) -> Result<[u8; 6]> {
    let bad = Error::BadField { field: "time" };
    let local = epoch_s.checked_add(GMT8_S).ok_or(bad.clone())?;
    let (days, secs) = (local.div_euclid(86_400), local.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    if !(2000..=2099).contains(&year) {
        return Err(bad);
    }
    // Every value is below 100 here: the year is 00–99, the rest by range.
    let fields = [
        year - 2000,
        month,
        day,
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
    ];
    let mut out = [0u8; 6];
    for (o, v) in out.iter_mut().zip(fields) {
        let v = u8::try_from(v).map_err(|_| bad.clone())?;
        *o = ((v / 10) << 4) | (v % 10);
    }
    Ok(out)
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: u8) -> u8 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
/// algorithm).
fn days_from_civil(year: i64, month: u8, day: u8) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date (year, month, day) of a day count since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_round_trip_with_leading_zeros() {
        assert_eq!(
            decode_digits(&[0x01, 0x39, 0x12, 0x34, 0x56, 0x78], "phone").unwrap(),
            "013912345678"
        );
        assert_eq!(
            decode_digits(&[0x1a], "phone"),
            Err(Error::BadBcd { field: "phone" })
        );
        let mut out = Vec::new();
        encode_digits(&mut out, "13912345678", 6, "phone").unwrap();
        assert_eq!(out, [0x01, 0x39, 0x12, 0x34, 0x56, 0x78]);
        out.clear();
        encode_digits(&mut out, "", 2, "phone").unwrap();
        assert_eq!(out, [0, 0]);
        assert!(encode_digits(&mut out, "1234567890123", 6, "phone").is_err());
        assert!(encode_digits(&mut out, "12a4", 6, "phone").is_err());
    }

    #[test]
    fn time_is_gmt8() {
        // 2024-03-15 10:20:30 GMT+8 = 2024-03-15 02:20:30 UTC.
        let t = decode_time([0x24, 0x03, 0x15, 0x10, 0x20, 0x30]).unwrap();
        assert_eq!(t, 1_710_469_230);
        assert_eq!(
            encode_time(t).unwrap(),
            [0x24, 0x03, 0x15, 0x10, 0x20, 0x30]
        );
        // 2000-01-01 00:00:00 GMT+8 is the last day of 1999 in UTC.
        assert!(matches!(decode_time([0; 6]), Err(Error::BadTime(_))));
        assert_eq!(
            decode_time([0x00, 0x01, 0x01, 0, 0, 0]).unwrap(),
            946_684_800 - 8 * 3600
        );
        assert_eq!(
            encode_time(946_684_800 - 8 * 3600).unwrap(),
            [0x00, 0x01, 0x01, 0, 0, 0]
        );
        assert!(encode_time(946_684_800 - 8 * 3600 - 1).is_err());
        assert!(encode_time(i64::MAX).is_err());
        assert!(encode_time(i64::MIN).is_err());
    }

    #[test]
    fn impossible_dates_are_refused() {
        for bcd in [
            [0x24, 0x02, 0x30, 0, 0, 0], // 30 February
            [0x23, 0x02, 0x29, 0, 0, 0], // 29 February of a common year
            [0x24, 0x13, 0x01, 0, 0, 0], // month 13
            [0x24, 0x04, 0x31, 0, 0, 0], // 31 April
            [0x24, 0x01, 0x01, 0x24, 0, 0],
            [0x24, 0x01, 0x01, 0, 0x60, 0],
            [0x24, 0x01, 0x01, 0, 0, 0x60],
        ] {
            assert!(
                matches!(decode_time(bcd), Err(Error::BadTime(_))),
                "{bcd:02x?}"
            );
        }
        assert!(decode_time([0x24, 0x02, 0x29, 0x23, 0x59, 0x59]).is_ok());
        assert_eq!(
            decode_time([0x24, 0x0a, 0x01, 0, 0, 0]),
            Err(Error::BadBcd { field: "time" })
        );
    }

    #[test]
    fn civil_days_agree_both_ways() {
        for days in (-800_000..800_000).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            let (m, d) = (u8::try_from(m).unwrap(), u8::try_from(d).unwrap());
            assert_eq!(days_from_civil(y, m, d), days);
            assert!(d <= days_in_month(y, m));
        }
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }
}
