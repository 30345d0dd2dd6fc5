//! Firehose's documented configuration rules, which moto does not check: the sandbox's Firehose
//! play reads the configuration back and refuses to play one that AWS would refuse, with
//! Firehose's own error code (`InvalidArgumentException`), so a mistake in what setup writes
//! shows up locally.
//!
//! - With dynamic partitioning, the buffer is at least 64 MiB and never zero seconds ("Buffer
//!   data for dynamic partitioning": zero buffering is not available with it; the 64 MiB floor
//!   is the console's and the API's for dynamic partitioning). BufferingHints' ranges: 1-128
//!   MiB, 0-900 s.
//! - `!{firehose:error-output-type}` belongs in the ErrorOutputPrefix, never in the Prefix; with
//!   dynamic partitioning an ErrorOutputPrefix is required and names it ("Understand custom
//!   prefixes for Amazon S3 objects").
//! - RetryOptions' DurationInSeconds is 0-7200 ("RetryOptions", API reference).
//! - JSON de-aggregation splits at most 500 sub-records per record ("Apply dynamic partitioning
//!   to aggregated data"); AWS says a record beyond that does not de-aggregate as expected, so
//!   the sandbox sends it whole to the error prefix ([`within_deaggregation_cap`]).

use aws_sdk_firehose::types::{DeliveryStreamDescription, ExtendedS3DestinationDescription};

/// Sub-records one record may de-aggregate into.
pub const MAX_SUB_RECORDS: usize = 500;
/// The smallest buffer dynamic partitioning takes, in MiB.
pub const MIN_PARTITIONED_BUFFER_MIB: i32 = 64;
pub const MAX_RETRY_SECONDS: i32 = 7200;
const ERROR_OUTPUT_TYPE: &str = "!{firehose:error-output-type}";

/// The rules for a described delivery stream's ExtendedS3 destinations; the first broken one as
/// Firehose's error.
pub fn check(d: &DeliveryStreamDescription) -> Result<(), String> {
    d.destinations()
        .iter()
        .filter_map(|destination| destination.extended_s3_destination_description())
        .try_for_each(check_destination)
        .map_err(|message| format!("InvalidArgumentException: {message}"))
}

fn check_destination(s3: &ExtendedS3DestinationDescription) -> Result<(), String> {
    let partitioned = s3
        .dynamic_partitioning_configuration()
        .and_then(|c| c.enabled())
        .unwrap_or(false);
    if let Some(hints) = s3.buffering_hints() {
        buffering(
            hints.size_in_mbs(),
            hints.interval_in_seconds(),
            partitioned,
        )?;
    }
    prefixes(s3.prefix(), s3.error_output_prefix(), partitioned)?;
    let retry = s3
        .dynamic_partitioning_configuration()
        .and_then(|c| c.retry_options())
        .and_then(|r| r.duration_in_seconds());
    retry_duration(retry)
}

/// BufferingHints' ranges, and dynamic partitioning's floor.
pub fn buffering(
    size_mib: Option<i32>,
    interval: Option<i32>,
    partitioned: bool,
) -> Result<(), String> {
    if let Some(size) = size_mib {
        if !(1..=128).contains(&size) {
            return Err(format!("BufferingHints.SizeInMBs {size} is outside 1-128"));
        }
        if partitioned && size < MIN_PARTITIONED_BUFFER_MIB {
            return Err(format!("BufferingHints.SizeInMBs {size} is below {MIN_PARTITIONED_BUFFER_MIB}, the minimum when dynamic partitioning is enabled"));
        }
    }
    if let Some(seconds) = interval {
        if !(0..=900).contains(&seconds) {
            return Err(format!(
                "BufferingHints.IntervalInSeconds {seconds} is outside 0-900"
            ));
        }
        if partitioned && seconds == 0 {
            return Err("BufferingHints.IntervalInSeconds 0 (zero buffering) is not available with dynamic partitioning".into());
        }
    }
    Ok(())
}

/// Where `!{firehose:error-output-type}` may and must be.
pub fn prefixes(
    prefix: Option<&str>,
    errors: Option<&str>,
    partitioned: bool,
) -> Result<(), String> {
    if prefix.is_some_and(|p| p.contains(ERROR_OUTPUT_TYPE)) {
        return Err(format!(
            "{ERROR_OUTPUT_TYPE} can be used only in ErrorOutputPrefix, not in Prefix"
        ));
    }
    let errors = errors.filter(|e| !e.is_empty());
    match errors {
        None if partitioned => {
            Err("ErrorOutputPrefix is required when dynamic partitioning is enabled".into())
        }
        Some(e) if (partitioned || e.contains("!{")) && !e.contains(ERROR_OUTPUT_TYPE) => Err(
            format!("ErrorOutputPrefix {e:?} must contain {ERROR_OUTPUT_TYPE}"),
        ),
        _ => Ok(()),
    }
}

/// RetryOptions.DurationInSeconds' range.
pub fn retry_duration(seconds: Option<i32>) -> Result<(), String> {
    match seconds {
        Some(s) if !(0..=MAX_RETRY_SECONDS).contains(&s) => Err(format!(
            "RetryOptions.DurationInSeconds {s} is outside 0-{MAX_RETRY_SECONDS}"
        )),
        _ => Ok(()),
    }
}

/// A de-aggregated record's sub-records, or the error Firehose's error prefix gets when there are
/// more than it splits.
pub fn within_deaggregation_cap(parts: Vec<Vec<u8>>) -> Result<Vec<Vec<u8>>, String> {
    if parts.len() > MAX_SUB_RECORDS {
        return Err(format!(
            "the record holds {} JSON sub-records; de-aggregation splits at most {MAX_SUB_RECORDS} per record",
            parts.len()
        ));
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dynamic_partitioning_needs_64_mib_and_a_nonzero_interval() {
        assert!(buffering(Some(64), Some(60), true).is_ok());
        assert!(buffering(Some(128), Some(900), true).is_ok());
        assert!(buffering(Some(63), Some(60), true)
            .unwrap_err()
            .contains("64"));
        assert!(buffering(Some(5), Some(60), false).is_ok());
        assert!(buffering(Some(64), Some(0), true)
            .unwrap_err()
            .contains("zero"));
        assert!(buffering(Some(5), Some(0), false).is_ok());
        assert!(buffering(Some(129), Some(60), false).is_err());
        assert!(buffering(Some(0), Some(60), false).is_err());
        assert!(buffering(Some(64), Some(901), true).is_err());
        assert!(buffering(Some(64), Some(-1), false).is_err());
        assert!(buffering(None, None, true).is_ok());
    }

    #[test]
    fn the_error_output_type_goes_in_the_error_prefix_only() {
        let t = "errors/!{firehose:error-output-type}/";
        assert!(prefixes(Some("events/!{partitionKeyFromQuery:type}/"), Some(t), true).is_ok());
        assert!(prefixes(Some(t), Some(t), true)
            .unwrap_err()
            .contains("not in Prefix"));
        assert!(prefixes(Some("events/"), Some("errors/"), true)
            .unwrap_err()
            .contains("must contain"));
        assert!(prefixes(Some("events/"), None, true)
            .unwrap_err()
            .contains("required"));
        assert!(prefixes(Some("events/"), Some(""), true)
            .unwrap_err()
            .contains("required"));
        assert!(prefixes(Some("events/"), Some("errors/"), false).is_ok());
        assert!(prefixes(Some("events/"), None, false).is_ok());
        assert!(prefixes(None, Some("errors/!{timestamp:yyyy}/"), false)
            .unwrap_err()
            .contains("must contain"));
    }

    #[test]
    fn retries_last_at_most_two_hours() {
        assert!(retry_duration(None).is_ok());
        assert!(retry_duration(Some(0)).is_ok());
        assert!(retry_duration(Some(7200)).is_ok());
        assert!(retry_duration(Some(7201)).is_err());
        assert!(retry_duration(Some(-1)).is_err());
    }

    #[test]
    fn a_record_splits_into_at_most_500_sub_records() {
        let parts = |n: usize| vec![b"{}".to_vec(); n];
        assert_eq!(within_deaggregation_cap(parts(500)).unwrap().len(), 500);
        assert!(within_deaggregation_cap(parts(501))
            .unwrap_err()
            .contains("501"));
    }
}
