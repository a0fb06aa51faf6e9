using AdmissionGuard.Core.Policy;
namespace AdmissionGuard.Core.Tests;

/// <summary>Where a policy lives and what it carries besides its spec.</summary>
public class PolicyReaderTests
{
    public static TheoryData<string, string, string?, string> Namespaces => new()
    {
        { "namespace from metadata", """{"metadata":{"name":"web","namespace":"shop"}}""", null, "shop" },
        { "default namespace when metadata names none", """{"metadata":{"name":"web"}}""", null, "fallback" },
        { "default namespace when metadata namespace is empty", """{"metadata":{"name":"web","namespace":""}}""", null, "fallback" },
        { "default namespace when metadata namespace is null", """{"metadata":{"name":"web","namespace":null}}""", null, "fallback" },
        { "the admission request's namespace wins over metadata", """{"metadata":{"name":"web","namespace":"shop"}}""", "billing", "billing" },
        { "an empty override is no override", """{"metadata":{"name":"web","namespace":"shop"}}""", "", "shop" },
    };

    [Theory]
    [MemberData(nameof(Namespaces))]
    public void Namespace_is_resolved(string behaviour, string json, string? namespaceOverride, string expected)
    {
        var policy = Policies.Read(json, namespaceOverride, defaultNamespace: "fallback");

        Assert.True(policy.Namespace == expected, $"{behaviour}: got {policy.Namespace}");
        Assert.Equal("web", policy.Name);
        Assert.Equal(new Policy.PolicyKey(expected, "web"), policy.Id);
    }

    [Fact]
    public void Server_metadata_and_status_are_read_past_and_labels_and_annotations_are_kept()
    {
        var policy = Policies.Read("""
            {
              "kind": "NetworkPolicy",
              "apiVersion": "networking.k8s.io/v1",
              "metadata": {
                "name": "allow-np", "namespace": "default", "uid": "d93cebc8", "resourceVersion": "196", "generation": 1,
                "creationTimestamp": "2026-11-27T01:48:50Z", "labels": {"team": "a"},
                "annotations": {"owner": "platform"},
                "managedFields": [{"manager": "kubectl", "fieldsV1": {"f:spec": {}}}]
              },
              "spec": {"podSelector": {}, "ingress": [{"ports": [{"protocol": "TCP", "port": 80}]}], "policyTypes": ["Ingress"]},
              "status": {}
            }
            """);

        Assert.Equal("default/allow-np", policy.Id.ToString());
        Assert.Equal("a", policy.Labels["team"]);
        Assert.Equal("platform", policy.Annotations["owner"]);
        Assert.Equal(Policies.Spec("""{"ingress":[{"ports":[{"port":80}]}]}""").Spec, policy.Spec);
    }

    [Fact]
    public void Missing_spec_reads_as_the_default_spec()
    {
        var policy = Policies.Read("""{"metadata":{"name":"web","namespace":"shop"}}""");

        Assert.Equal(Policies.Spec("""{"podSelector":{},"policyTypes":["Ingress"]}""").Spec, policy.Spec);
        Assert.Empty(policy.Spec.Ingress);
        Assert.Equal("Ingress", Assert.Single(policy.Spec.PolicyTypes));
    }

    [Fact]
    public void Annotations_a_decision_cannot_depend_on_are_left_out_unread()
    {
        var json = Policies.Object("{}", """{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"huge\":1}","admissionguard.io/break-glass":"INC-1"}}""");
        var shared = default(PolicyReader.SharedParts);

        var policy = Policies.ReadAsReviewed(json, ref shared, new Decisions.DecisionSettings().AnnotationMatters);

        Assert.Equal("INC-1", Assert.Single(policy.Annotations).Value);
    }

    public static TheoryData<string, string, string> AnnotationKeys => new()
    {
        { "an escaped key is judged by its text", """\u0061dmissionguard.io/break-glass""", "admissionguard.io/break-glass" },
        { "a key longer than Kubernetes allows", new string('k', 400), new string('k', 400) },
    };

    [Theory]
    [MemberData(nameof(AnnotationKeys))]
    public void An_annotation_key_is_given_to_the_filter_as_its_text_and_kept_under_it(string behaviour, string keyInJson, string key)
    {
        // Written into the text after it is built: a JSON object model would unescape the key on the way.
        var json = Policies.Object("{}", """{"annotations":{"KEY":"INC-1","example.com/other":"x"}}""").Replace("\"KEY\"", $"\"{keyInJson}\"", StringComparison.Ordinal);
        Assert.Contains(keyInJson, json, StringComparison.Ordinal);
        var shared = default(PolicyReader.SharedParts);
        var asked = new List<string>();

        var policy = Policies.ReadAsReviewed(json, ref shared, text =>
        {
            asked.Add(text.ToString());
            return text.SequenceEqual(key);
        });

        Assert.True(asked.SequenceEqual([key, "example.com/other"]), behaviour);
        Assert.Equal(key, Assert.Single(policy.Annotations).Key);
    }

    [Fact]
    public void A_long_annotation_key_is_named_in_its_problem_cut_to_a_readable_length()
    {
        var key = new string('k', 400);
        var json = Policies.Object("{}", $$$"""{"annotations":{"{{{key}}}":3}}""");

        var error = Assert.Throws<PolicyFormatException>(() =>
        {
            var shared = default(PolicyReader.SharedParts);
            return Policies.ReadAsReviewed(json, ref shared, _ => false);
        });

        Assert.Equal($"metadata.annotations.{key[..219]}…(181 more): must be a string, not the number 3 (quote it in YAML)", error.Message);
    }

    [Fact]
    public void Labels_no_decision_reads_are_checked_but_not_kept()
    {
        var labelled = Policies.Object("{}", """{"labels":{"team":"a","tier":"web"}}""");
        var wrong = Policies.Object("{}", """{"labels":{"team":"a","replicas":3}}""");
        var shared = default(PolicyReader.SharedParts);

        var policy = Policies.ReadAsReviewed(labelled, ref shared, keepLabels: false);
        var kept = Policies.ReadAsReviewed(labelled, ref shared);
        var error = Assert.Throws<PolicyFormatException>(() =>
        {
            var fresh = default(PolicyReader.SharedParts);
            return Policies.ReadAsReviewed(wrong, ref fresh, keepLabels: false);
        });

        Assert.Empty(policy.Labels);
        Assert.Equal(["team", "tier"], kept.Labels.Keys.ToArray());
        Assert.Equal("metadata.labels.replicas: must be a string, not the number 3 (quote it in YAML)", error.Message);
    }

    [Theory]
    [InlineData("""{"team":"\ud800"}""")]
    [InlineData("""{"\ud800":"x"}""")]
    public void Labels_not_kept_must_still_be_valid_unicode(string labels)
    {
        var json = Policies.Object("{}", """{"labels":{"team":"a"}}""").Replace("""{"team":"a"}""", labels, StringComparison.Ordinal);
        Assert.Contains(labels, json, StringComparison.Ordinal);

        var kept = Assert.Throws<InvalidOperationException>(() =>
        {
            var shared = default(PolicyReader.SharedParts);
            return Policies.ReadAsReviewed(json, ref shared);
        });
        var checkedOnly = Assert.Throws<InvalidOperationException>(() =>
        {
            var shared = default(PolicyReader.SharedParts);
            return Policies.ReadAsReviewed(json, ref shared, keepLabels: false);
        });

        Assert.Equal(kept.Message, checkedOnly.Message);
    }

    [Fact]
    public void An_annotation_left_out_must_still_be_a_string()
    {
        var json = Policies.Object("{}", """{"annotations":{"example.com/count":3}}""");

        var error = Assert.Throws<PolicyFormatException>(() =>
        {
            var shared = default(PolicyReader.SharedParts);
            return Policies.ReadAsReviewed(json, ref shared, _ => false);
        });

        Assert.Equal("metadata.annotations.example.com/count: must be a string, not the number 3 (quote it in YAML)", error.Message);
    }
}
