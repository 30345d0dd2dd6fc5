//! SNS: the topic the refused-writes alarm notifies, its tags and its email subscriptions.
//! A topic's ARN follows from its name, so it is read with GetTopicAttributes and never looked
//! for in a list.

use std::collections::BTreeMap;

use aws_sdk_sns::types::Tag;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use super::{aws_error, Aws};
use crate::error::Result;
use crate::state::TopicState;

impl Aws {
    /// The topic at `arn`, or `None` when there is none.
    pub async fn describe_topic(&self, arn: &str) -> Result<Option<TopicState>> {
        match self.sns.get_topic_attributes().topic_arn(arn).send().await {
            Ok(_) => {}
            Err(e) if e.code() == Some("NotFound") => {
                self.calls.record("sns", "GetTopicAttributes", false);
                return Ok(None);
            }
            Err(e) => return Err(aws_error("sns", "GetTopicAttributes", e)),
        }
        self.calls.record("sns", "GetTopicAttributes", false);
        let tags = self
            .sns
            .list_tags_for_resource()
            .resource_arn(arn)
            .send()
            .await
            .map_err(|e| aws_error("sns", "ListTagsForResource", e))?;
        self.calls.record("sns", "ListTagsForResource", false);
        let mut emails = Vec::new();
        let mut next: Option<String> = None;
        loop {
            let out = self
                .sns
                .list_subscriptions_by_topic()
                .topic_arn(arn)
                .set_next_token(next.clone())
                .send()
                .await
                .map_err(|e| aws_error("sns", "ListSubscriptionsByTopic", e))?;
            self.calls.record("sns", "ListSubscriptionsByTopic", false);
            emails.extend(
                out.subscriptions()
                    .iter()
                    .filter(|s| s.protocol() == Some("email"))
                    .filter_map(|s| s.endpoint().map(str::to_owned)),
            );
            next = out.next_token().map(str::to_owned);
            if next.is_none() {
                break;
            }
        }
        emails.sort();
        Ok(Some(TopicState {
            arn: arn.to_owned(),
            tags: tags
                .tags()
                .iter()
                .map(|t| (t.key().to_owned(), t.value().to_owned()))
                .collect(),
            emails,
        }))
    }

    /// Create the topic (CreateTopic returns the existing one for the same name and tags),
    /// encrypted with `kms_key` when given.
    pub async fn create_topic(
        &self,
        name: &str,
        tags: &BTreeMap<String, String>,
        kms_key: Option<&str>,
    ) -> Result<String> {
        let mut req = self.sns.create_topic().name(name);
        if let Some(key) = kms_key {
            req = req.attributes("KmsMasterKeyId", key);
        }
        for (k, v) in tags {
            req = req.tags(
                Tag::builder()
                    .key(k)
                    .value(v)
                    .build()
                    .map_err(|e| crate::error::Error::Usage(format!("an SNS tag: {e}")))?,
            );
        }
        let out = req
            .send()
            .await
            .map_err(|e| aws_error("sns", "CreateTopic", e))?;
        self.calls.record("sns", "CreateTopic", true);
        Ok(out.topic_arn().unwrap_or_default().to_owned())
    }

    /// Subscribe an email address; the address must confirm before mail arrives.
    pub async fn subscribe_email(&self, topic_arn: &str, email: &str) -> Result<()> {
        self.sns
            .subscribe()
            .topic_arn(topic_arn)
            .protocol("email")
            .endpoint(email)
            .send()
            .await
            .map_err(|e| aws_error("sns", "Subscribe", e))?;
        self.calls.record("sns", "Subscribe", true);
        Ok(())
    }

    /// Delete the topic and with it its subscriptions.
    pub async fn delete_topic(&self, arn: &str) -> Result<()> {
        self.sns
            .delete_topic()
            .topic_arn(arn)
            .send()
            .await
            .map_err(|e| aws_error("sns", "DeleteTopic", e))?;
        self.calls.record("sns", "DeleteTopic", true);
        Ok(())
    }
}
