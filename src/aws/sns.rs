//! SNS: the topic the refused-writes alarm notifies, its tags and its email subscriptions.
//! A topic's ARN follows from its name, so it is read with GetTopicAttributes and never looked
//! for in a list.

use std::collections::BTreeMap;

use aws_sdk_sns::types::Tag;

use super::{built, read, write, Aws, Expected};
use crate::error::Result;
use crate::state::TopicState;

impl Aws {
    /// The topic at `arn`, or `None` when there is none.
    pub(crate) async fn describe_topic(&self, arn: &str) -> Result<Option<TopicState>> {
        let req = self.sns.get_topic_attributes().topic_arn(arn);
        let found = self
            .answered(read("sns", "GetTopicAttributes"), req.send().await)
            .or_missing(&["NotFound"])?;
        if found.is_none() {
            return Ok(None);
        }
        let req = self.sns.list_tags_for_resource().resource_arn(arn);
        let tags = self.answered(read("sns", "ListTagsForResource"), req.send().await)?;
        let mut emails = Vec::new();
        let mut next: Option<String> = None;
        loop {
            let req = self
                .sns
                .list_subscriptions_by_topic()
                .topic_arn(arn)
                .set_next_token(next.clone());
            let out = self.answered(read("sns", "ListSubscriptionsByTopic"), req.send().await)?;
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
    pub(crate) async fn create_topic(
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
            req = req.tags(built(Tag::builder().key(k).value(v).build())?);
        }
        let out = self.answered(write("sns", "CreateTopic"), req.send().await)?;
        Ok(out.topic_arn().unwrap_or_default().to_owned())
    }

    /// Subscribe an email address; the address must confirm before mail arrives.
    pub(crate) async fn subscribe_email(&self, topic_arn: &str, email: &str) -> Result<()> {
        let req = self
            .sns
            .subscribe()
            .topic_arn(topic_arn)
            .protocol("email")
            .endpoint(email);
        self.answered(write("sns", "Subscribe"), req.send().await)?;
        Ok(())
    }

    /// Delete the topic and with it its subscriptions.
    pub(crate) async fn delete_topic(&self, arn: &str) -> Result<()> {
        let req = self.sns.delete_topic().topic_arn(arn);
        self.answered(write("sns", "DeleteTopic"), req.send().await)?;
        Ok(())
    }
}
