//! A person's time zone, small enough for the browser runtime: a standard offset and one of the
//! daylight-saving rules in use today. "Tonight" and "Monday" mean the person's evening and
//! Monday, and a `show_date` of `2026-11-21 20:00` with no offset is a wall-clock time there.
//!
//! [`Zone::named`] maps the IANA names CDPs store (`Europe/London`, `America/New_York`) for the
//! world's large zones and fixed offsets (`UTC`, `+05:30`, `UTC-3`, `GMT+1`) to a zone; an unknown
//! name is `None` and callers fall back to UTC. The rules are the ones these zones follow since
//! 2007 (US), 1996 (EU), 2008 (Australia) and 2007 (New Zealand); historical rules are not kept,
//! so a time from before then may be an hour off, which day-sized windows tolerate.

use super::{days_from_civil, weekday, DAY_MS, HOUR_MS};

/// When daylight-saving time applies (one hour ahead of standard time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub enum DstRule {
    /// No daylight-saving time.
    None,
    /// European Union and neighbours: last Sunday of March 01:00 UTC to last Sunday of October
    /// 01:00 UTC.
    Europe,
    /// United States and Canada: second Sunday of March 02:00 local to first Sunday of November
    /// 02:00 local (daylight).
    NorthAmerica,
    /// South-eastern Australia: first Sunday of October 02:00 local to first Sunday of April
    /// 03:00 local (daylight).
    Australia,
    /// New Zealand: last Sunday of September 02:00 local to first Sunday of April 03:00 local
    /// (daylight).
    NewZealand,
}

/// A time zone: minutes east of UTC in standard time, and its daylight-saving rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub struct Zone {
    /// Standard offset in minutes east of UTC (London 0, New York −300, Kolkata 330).
    pub standard_minutes: i16,
    /// When an hour is added.
    pub dst: DstRule,
}

/// IANA names of large zones: (name, standard offset in minutes, rule). Aliases CDPs commonly
/// store are included; anything else falls back to its offset when it names one.
const NAMES: &[(&str, i16, DstRule)] = {
    use DstRule::{
        Australia as Au, Europe as Eu, NewZealand as Nz, None as No, NorthAmerica as Na,
    };
    &[
        ("africa/cairo", 120, No),
        ("africa/casablanca", 60, No),
        ("africa/johannesburg", 120, No),
        ("africa/lagos", 60, No),
        ("africa/nairobi", 180, No),
        ("america/anchorage", -540, Na),
        ("america/argentina/buenos_aires", -180, No),
        ("america/bogota", -300, No),
        ("america/buenos_aires", -180, No),
        ("america/caracas", -240, No),
        ("america/chicago", -360, Na),
        ("america/denver", -420, Na),
        ("america/edmonton", -420, Na),
        ("america/halifax", -240, Na),
        ("america/lima", -300, No),
        ("america/los_angeles", -480, Na),
        ("america/mexico_city", -360, No),
        ("america/montreal", -300, Na),
        ("america/new_york", -300, Na),
        ("america/phoenix", -420, No),
        ("america/sao_paulo", -180, No),
        ("america/st_johns", -210, Na),
        ("america/toronto", -300, Na),
        ("america/vancouver", -480, Na),
        ("america/winnipeg", -360, Na),
        ("asia/bangkok", 420, No),
        ("asia/calcutta", 330, No),
        ("asia/dhaka", 360, No),
        ("asia/dubai", 240, No),
        ("asia/ho_chi_minh", 420, No),
        ("asia/hong_kong", 480, No),
        ("asia/jakarta", 420, No),
        ("asia/jerusalem", 120, No),
        ("asia/karachi", 300, No),
        ("asia/kathmandu", 345, No),
        ("asia/kolkata", 330, No),
        ("asia/kuala_lumpur", 480, No),
        ("asia/manila", 480, No),
        ("asia/riyadh", 180, No),
        ("asia/seoul", 540, No),
        ("asia/shanghai", 480, No),
        ("asia/singapore", 480, No),
        ("asia/taipei", 480, No),
        ("asia/tehran", 210, No),
        ("asia/tokyo", 540, No),
        ("atlantic/reykjavik", 0, No),
        ("australia/adelaide", 570, Au),
        ("australia/brisbane", 600, No),
        ("australia/darwin", 570, No),
        ("australia/hobart", 600, Au),
        ("australia/melbourne", 600, Au),
        ("australia/perth", 480, No),
        ("australia/sydney", 600, Au),
        ("europe/amsterdam", 60, Eu),
        ("europe/athens", 120, Eu),
        ("europe/belgrade", 60, Eu),
        ("europe/berlin", 60, Eu),
        ("europe/brussels", 60, Eu),
        ("europe/bucharest", 120, Eu),
        ("europe/budapest", 60, Eu),
        ("europe/copenhagen", 60, Eu),
        ("europe/dublin", 0, Eu),
        ("europe/helsinki", 120, Eu),
        ("europe/istanbul", 180, No),
        ("europe/kiev", 120, Eu),
        ("europe/kyiv", 120, Eu),
        ("europe/lisbon", 0, Eu),
        ("europe/london", 0, Eu),
        ("europe/madrid", 60, Eu),
        ("europe/moscow", 180, No),
        ("europe/oslo", 60, Eu),
        ("europe/paris", 60, Eu),
        ("europe/prague", 60, Eu),
        ("europe/riga", 120, Eu),
        ("europe/rome", 60, Eu),
        ("europe/sofia", 120, Eu),
        ("europe/stockholm", 60, Eu),
        ("europe/tallinn", 120, Eu),
        ("europe/vienna", 60, Eu),
        ("europe/vilnius", 120, Eu),
        ("europe/warsaw", 60, Eu),
        ("europe/zurich", 60, Eu),
        ("pacific/auckland", 720, Nz),
        ("pacific/honolulu", -600, No),
        ("us/central", -360, Na),
        ("us/eastern", -300, Na),
        ("us/mountain", -420, Na),
        ("us/pacific", -480, Na),
    ]
};

impl Zone {
    /// UTC.
    pub const UTC: Zone = Zone {
        standard_minutes: 0,
        dst: DstRule::None,
    };

    /// The zone of an IANA name (case-insensitive) or a fixed offset (`UTC`, `Z`, `+05:30`,
    /// `-03`, `UTC+2`, `GMT-05:00`); `None` when the text names neither.
    pub fn named(name: &str) -> Option<Zone> {
        let name = name.trim();
        if name.len() > 64 {
            return None;
        }
        let lower = name.to_ascii_lowercase();
        if let Ok(i) = NAMES.binary_search_by(|(n, _, _)| (*n).cmp(lower.as_str())) {
            let (_, standard_minutes, dst) = *NAMES.get(i)?;
            return Some(Zone {
                standard_minutes,
                dst,
            });
        }
        let rest = ["etc/utc", "etc/gmt", "utc", "gmt", "z"]
            .iter()
            .find_map(|p| lower.strip_prefix(p))
            .unwrap_or(&lower);
        if rest.is_empty() {
            return Some(Zone::UTC);
        }
        fixed_offset(rest).map(|standard_minutes| Zone {
            standard_minutes,
            dst: DstRule::None,
        })
    }

    /// Minutes east of UTC at the instant `utc_ms`.
    pub fn offset_minutes_at(&self, utc_ms: i64) -> i32 {
        let standard = i32::from(self.standard_minutes);
        if self.in_dst(utc_ms) {
            standard + 60
        } else {
            standard
        }
    }

    /// The wall-clock time (as milliseconds of a UTC calendar) at the instant `utc_ms`.
    pub fn to_local(&self, utc_ms: i64) -> i64 {
        utc_ms.saturating_add(i64::from(self.offset_minutes_at(utc_ms)) * 60_000)
    }

    /// The instant of a wall-clock time. A time in the hour a clock skips is read as standard
    /// time; one in the hour it repeats, as daylight time (the first of the two).
    pub fn to_utc(&self, local_ms: i64) -> i64 {
        let standard = local_ms.saturating_sub(i64::from(self.standard_minutes) * 60_000);
        let daylight = standard.saturating_sub(HOUR_MS);
        if self.in_dst(daylight) {
            daylight
        } else {
            standard
        }
    }

    fn in_dst(&self, utc_ms: i64) -> bool {
        let std_ms = i64::from(self.standard_minutes) * 60_000;
        let local_std = utc_ms.saturating_add(std_ms);
        let year = super::civil_from_days(local_std.div_euclid(DAY_MS)).0;
        // Each rule's start and end as instants (UTC) of this local year.
        let at = |days: i64, hour_utc: i64| days * DAY_MS + hour_utc * HOUR_MS;
        let local =
            |days: i64, hour_local_std: i64| days * DAY_MS + hour_local_std * HOUR_MS - std_ms;
        match self.dst {
            DstRule::None => false,
            DstRule::Europe => {
                let start = at(last_sunday(year, 3), 1);
                let end = at(last_sunday(year, 10), 1);
                (start..end).contains(&utc_ms)
            }
            DstRule::NorthAmerica => {
                let start = local(nth_sunday(year, 3, 2), 2);
                // 02:00 daylight is 01:00 standard.
                let end = local(nth_sunday(year, 11, 1), 1);
                (start..end).contains(&utc_ms)
            }
            DstRule::Australia => {
                let end = local(nth_sunday(year, 4, 1), 2);
                let start = local(nth_sunday(year, 10, 1), 2);
                utc_ms < end || utc_ms >= start
            }
            DstRule::NewZealand => {
                let end = local(nth_sunday(year, 4, 1), 2);
                let start = local(last_sunday(year, 9), 2);
                utc_ms < end || utc_ms >= start
            }
        }
    }
}

/// `+05:30`, `-03`, `+2`, `-0500` as minutes east of UTC (at most ±14 h).
fn fixed_offset(text: &str) -> Option<i16> {
    let (sign, digits) = match text.as_bytes().first()? {
        b'+' => (1, text.get(1..)?),
        b'-' => (-1, text.get(1..)?),
        _ => return None,
    };
    let (hours, minutes) = match digits.split_once(':') {
        Some((h, m)) => (h, m),
        None if digits.len() == 4 => (digits.get(..2)?, digits.get(2..)?),
        None => (digits, "0"),
    };
    let hours: i16 = hours.parse().ok().filter(|h| (0..=14).contains(h))?;
    let minutes: i16 = minutes.parse().ok().filter(|m| (0..60).contains(m))?;
    Some(sign * (hours * 60 + minutes))
}

/// The day number of the `n`-th Sunday (from 1) of a month.
fn nth_sunday(year: i64, month: i64, n: i64) -> i64 {
    let first = days_from_civil(year, month, 1);
    let to_sunday = (6 - weekday(first)).rem_euclid(7);
    first + to_sunday + 7 * (n - 1)
}

/// The day number of the last Sunday of a month.
fn last_sunday(year: i64, month: i64) -> i64 {
    let last = days_from_civil(year, month, super::days_in_month(year, month));
    last - (weekday(last) - 6).rem_euclid(7)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::parse_timestamp;

    fn at(text: &str) -> i64 {
        parse_timestamp(text).unwrap()
    }

    #[test]
    fn the_name_table_is_sorted_for_binary_search() {
        assert!(NAMES.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn names_and_fixed_offsets() {
        assert_eq!(Zone::named("Europe/London").unwrap().dst, DstRule::Europe);
        assert_eq!(
            Zone::named("america/NEW_YORK").unwrap().standard_minutes,
            -300
        );
        assert_eq!(Zone::named("UTC"), Some(Zone::UTC));
        assert_eq!(Zone::named("Etc/UTC"), Some(Zone::UTC));
        assert_eq!(Zone::named("+05:30").unwrap().standard_minutes, 330);
        assert_eq!(Zone::named("UTC-3").unwrap().standard_minutes, -180);
        assert_eq!(Zone::named("GMT+0100").unwrap().standard_minutes, 60);
        assert_eq!(Zone::named("Mars/Olympus_Mons"), None);
        assert_eq!(Zone::named("+15"), None);
        assert_eq!(Zone::named(""), Some(Zone::UTC));
    }

    #[test]
    fn european_summer_time_changes_at_one_utc() {
        let london = Zone::named("Europe/London").unwrap();
        // 2026: last Sunday of March is the 29th, of October the 25th.
        assert_eq!(london.offset_minutes_at(at("2026-03-29T00:59:00Z")), 0);
        assert_eq!(london.offset_minutes_at(at("2026-03-29T01:00:00Z")), 60);
        assert_eq!(london.offset_minutes_at(at("2026-10-25T00:59:00Z")), 60);
        assert_eq!(london.offset_minutes_at(at("2026-10-25T01:00:00Z")), 0);
        let berlin = Zone::named("Europe/Berlin").unwrap();
        assert_eq!(berlin.offset_minutes_at(at("2026-07-01T12:00:00Z")), 120);
        assert_eq!(berlin.offset_minutes_at(at("2026-11-20T12:00:00Z")), 60);
    }

    #[test]
    fn north_american_daylight_time_changes_at_two_local() {
        let ny = Zone::named("America/New_York").unwrap();
        // 2026: second Sunday of March is the 8th, first Sunday of November the 1st.
        assert_eq!(ny.offset_minutes_at(at("2026-03-08T06:59:00Z")), -300);
        assert_eq!(ny.offset_minutes_at(at("2026-03-08T07:00:00Z")), -240);
        assert_eq!(ny.offset_minutes_at(at("2026-11-01T05:59:00Z")), -240);
        assert_eq!(ny.offset_minutes_at(at("2026-11-01T06:00:00Z")), -300);
        let phoenix = Zone::named("America/Phoenix").unwrap();
        assert_eq!(phoenix.offset_minutes_at(at("2026-07-01T12:00:00Z")), -420);
    }

    #[test]
    fn southern_hemisphere_daylight_time_spans_the_new_year() {
        let sydney = Zone::named("Australia/Sydney").unwrap();
        assert_eq!(sydney.offset_minutes_at(at("2026-01-15T00:00:00Z")), 660);
        assert_eq!(sydney.offset_minutes_at(at("2026-07-15T00:00:00Z")), 600);
        // 2026: first Sunday of April is the 5th (03:00 daylight = 16:00 UTC on the 4th), first
        // Sunday of October the 4th (02:00 standard = 16:00 UTC on the 3rd).
        assert_eq!(sydney.offset_minutes_at(at("2026-04-04T15:59:00Z")), 660);
        assert_eq!(sydney.offset_minutes_at(at("2026-04-04T16:00:00Z")), 600);
        assert_eq!(sydney.offset_minutes_at(at("2026-10-03T15:59:00Z")), 600);
        assert_eq!(sydney.offset_minutes_at(at("2026-10-03T16:00:00Z")), 660);
        let auckland = Zone::named("Pacific/Auckland").unwrap();
        assert_eq!(auckland.offset_minutes_at(at("2026-12-01T00:00:00Z")), 780);
        assert_eq!(auckland.offset_minutes_at(at("2026-06-01T00:00:00Z")), 720);
    }

    #[test]
    fn wall_clock_and_instant_round_trip() {
        let ny = Zone::named("America/New_York").unwrap();
        for text in [
            "2026-11-21T20:00:00Z",
            "2026-07-04T09:30:00Z",
            "2026-03-08T12:00:00Z",
        ] {
            let local = at(text);
            assert_eq!(ny.to_local(ny.to_utc(local)), local, "{text}");
        }
        // 20:00 on 21 November in New York (standard time) is 01:00 UTC the next day.
        assert_eq!(
            ny.to_utc(at("2026-11-21T20:00:00Z")),
            at("2026-11-22T01:00:00Z")
        );
        // …and on 4 July (daylight time) 00:00 UTC the next day.
        assert_eq!(
            ny.to_utc(at("2026-07-04T20:00:00Z")),
            at("2026-07-05T00:00:00Z")
        );
    }
}
