using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AdmissionGuard.Admission;
using AdmissionGuard.Core;
using AdmissionGuard.Core.Decisions;
using AdmissionGuard.Core.Policy;
using AdmissionGuard.Git;
using AdmissionGuard.Tests.Support;

namespace AdmissionGuard.Tests.Server;

/// <summary>
/// What /validate reads from a review before deciding: a spec sent exactly as Git declares it is recognised
/// without being read, and annotations no decision depends on are left out.
/// </summary>
public class AdmissionReviewReaderTests
{
    [Fact]
    public void A_spec_sent_exactly_as_Git_declares_it_is_recognised_without_being_read()
    {
        var review = Reviews.Load("update-label");
        var (baseline, entry) = BaselineDeclaring(review.Request()["object"]!);

        var input = Read(review, baseline);

        Assert.Same(entry.Policy.Spec, input.Object!.Spec);
        Assert.Same(entry.Policy.Spec, input.OldObject!.Spec);
    }

    [Fact]
    public void A_changed_spec_is_read_in_full()
    {
        var review = Reviews.Load("update-label");
        var (baseline, entry) = BaselineDeclaring(review.Request()["object"]!);
        review.WithSpec("""{"podSelector":{},"ingress":[{"ports":[{"protocol":"TCP","port":5432}]}],"policyTypes":["Ingress"]}""");

        var input = Read(review, baseline);

        Assert.NotEqual(entry.Policy.Spec.Key, input.Object!.Spec.Key);
        Assert.Contains("5432", input.Object.Spec.Key, StringComparison.Ordinal);
        Assert.Same(entry.Policy.Spec, input.OldObject!.Spec);
    }

    [Fact]
    public void Annotations_no_decision_depends_on_are_left_out()
    {
        var review = Reviews.Load("update-label").WithAnnotations(new Dictionary<string, string>
        {
            ["kubectl.kubernetes.io/last-applied-configuration"] = "{\"apiVersion\":\"networking.k8s.io/v1\"}",
            ["admissionguard.io/break-glass"] = "INC-7: restore DNS",
            ["example.com/owner"] = "platform",
        });
        var (baseline, _) = BaselineDeclaring(review.Request()["object"]!);

        var input = Read(review, baseline, new DecisionSettings().AnnotationMatters);

        Assert.Equal(["admissionguard.io/break-glass"], input.Object!.Annotations.Keys);
    }

    [SkippableFact]
    public void Every_corpus_policy_reads_the_same_from_a_review_as_from_its_manifest()
    {
        var policies = CorpusPolicies.Read("corpus");

        foreach (var declared in policies)
        {
            var metadata = new JsonObject
            {
                ["name"] = declared.Policy.Name,
                ["namespace"] = declared.Policy.Namespace,
                ["labels"] = new JsonObject { ["team"] = "a" },
                ["annotations"] = new JsonObject { ["owner"] = "platform", ["admissionguard.io/break-glass"] = "INC-1" },
                ["managedFields"] = JsonNode.Parse("[{\"manager\":\"kubectl\",\"fieldsV1\":{\"f:spec\":{\"f:podSelector\":{}}}}]"),
            };
            var served = new JsonObject
            {
                ["kind"] = "NetworkPolicy",
                ["apiVersion"] = "networking.k8s.io/v1",
                ["metadata"] = metadata,
                ["spec"] = JsonNode.Parse(declared.ServedSpec!),
                ["status"] = new JsonObject(),
            };
            var review = Reviews.Load("update-label");
            review.Request()["name"] = declared.Policy.Name;
            review.Request()["namespace"] = declared.Policy.Namespace;
            review.Request()["object"] = served;
            review.Request()["oldObject"] = served.DeepClone();

            var input = Read(review, new Baseline("0123456789abcdef0123456789abcdef01234567", "main", DateTimeOffset.UnixEpoch, []));

            Assert.Equal(declared.Policy.Id, input.Object!.Id);
            Assert.True(declared.Policy.Spec.Key == input.Object.Spec.Key, declared.Location);
            Assert.Equal("a", input.Object.Labels["team"]);
            Assert.Equal(["admissionguard.io/break-glass", "owner"], input.Object.Annotations.Keys);
            Assert.Same(input.Object.Labels, input.OldObject!.Labels);
        }
    }

    public static TheoryData<string, string, string> Problems => new()
    {
        { "labels a list", "\"labels\": [\"a\"],", "request.object.metadata.labels: must be a mapping, not a list" },
        { "a label value a number", "\"labels\": {\"tier\": 2},", "request.object.metadata.labels.tier: must be a string, not the number 2 (quote it in YAML)" },
        { "name a number", "\"name\": 5,", "request.object.metadata.name: must be a string, not the number 5 (quote it in YAML)" },
    };

    [Theory]
    [MemberData(nameof(Problems))]
    public void A_malformed_policy_is_a_located_one_line_error(string because, string firstMetadataField, string expected)
    {
        var text = Reviews.Load("create").ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });
        var mutated = text.Replace("\"metadata\": {", "\"metadata\": {" + firstMetadataField, StringComparison.Ordinal);
        Assert.NotEqual(text, mutated);

        var error = Assert.Throws<BadReviewException>(() => AdmissionReviewReader.Read(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(mutated))));

        Assert.True(error.Message == expected, $"{because}: {error.Message}");
    }

    public static TheoryData<string, string, string, string> FirstProblems => new()
    {
        { "an annotation value alone", "", "\"n\": 3,", "request.object.metadata.annotations.n: must be a string, not the number 3 (quote it in YAML)" },
        { "a label value before an annotation value", "\"labels\": {\"tier\": 2},", "\"n\": 3,", "request.object.metadata.labels.tier: must be a string, not the number 2 (quote it in YAML)" },
        { "a label value after an annotation value", "", "\"n\": 3}, \"labels\": {\"tier\": 2}, \"x\": {", "request.object.metadata.annotations.n: must be a string, not the number 3 (quote it in YAML)" },
        { "a name after the annotations", "", "\"n\": 3}, \"name\": 5, \"x\": {", "request.object.metadata.annotations.n: must be a string, not the number 3 (quote it in YAML)" },
        { "a name before the annotations", "\"name\": 5,", "\"n\": 3,", "request.object.metadata.name: must be a string, not the number 5 (quote it in YAML)" },
        { "labels a list after the annotations", "", "\"n\": 3}, \"labels\": [1], \"x\": {", "request.object.metadata.annotations.n: must be a string, not the number 3 (quote it in YAML)" },
        { "labels a list before the annotations", "\"labels\": [1],", "\"n\": 3,", "request.object.metadata.labels: must be a mapping, not a list" },
    };

    /// <summary>The metadata's first problem in document order is the one reported, whatever field it is in.</summary>
    [Theory]
    [MemberData(nameof(FirstProblems))]
    public void The_first_metadata_problem_in_document_order_is_reported(string because, string firstMetadataField, string firstAnnotation, string expected)
    {
        var text = Reviews.Load("create").ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });
        var mutated = text
            .Replace("\"metadata\": {", "\"metadata\": {" + firstMetadataField, StringComparison.Ordinal)
            .Replace("\"annotations\": {", "\"annotations\": {" + firstAnnotation, StringComparison.Ordinal);
        Assert.NotEqual(text, mutated);

        var error = Assert.Throws<BadReviewException>(() => AdmissionReviewReader.Read(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(mutated)), annotationMatters: new DecisionSettings().AnnotationMatters));

        Assert.True(error.Message == expected, $"{because}: {error.Message}");
    }

    [Theory]
    [InlineData(true, "\"tier\": \"\\ud800\"")]
    [InlineData(false, "\"tier\": \"\\ud800\"")]
    [InlineData(false, "\"\\ud800\": \"web\"")]
    public void A_label_that_is_not_valid_Unicode_is_refused_whether_labels_are_kept_or_only_checked(bool labelsMatter, string label)
    {
        var text = Reviews.Load("create").ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });
        var mutated = text.Replace("\"metadata\": {", "\"metadata\": {\"labels\": {" + label + "},", StringComparison.Ordinal);
        Assert.NotEqual(text, mutated);

        var error = Assert.Throws<BadReviewException>(() => AdmissionReviewReader.Read(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(mutated)), labelsMatter: labelsMatter));

        Assert.StartsWith("body has a string that is not valid Unicode", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_repeated_annotations_key_replaces_the_first_but_not_its_problems()
    {
        var text = Reviews.Load("create").ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });
        var valid = text.Replace("\"metadata\": {", "\"metadata\": {\"annotations\": {\"n\": \"3\"},", StringComparison.Ordinal);
        var invalid = text.Replace("\"metadata\": {", "\"metadata\": {\"annotations\": {\"n\": 3},", StringComparison.Ordinal);
        Assert.NotEqual(text, valid);

        var honest = AdmissionReviewReader.Read(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(text))).Input!;
        var input = AdmissionReviewReader.Read(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(valid))).Input!;
        var error = Assert.Throws<BadReviewException>(() => AdmissionReviewReader.Read(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(invalid))));

        Assert.Equal(honest.Object!.Annotations, input.Object!.Annotations);
        Assert.DoesNotContain("n", input.Object.Annotations.Keys);
        Assert.Equal("request.object.metadata.annotations.n: must be a string, not the number 3 (quote it in YAML)", error.Message);
    }

    [Fact]
    public void Annotations_of_another_resource_are_not_judged()
    {
        var review = Reviews.Load("create");
        review.Request()["resource"]!["resource"] = "configmaps";
        var text = review.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });
        var mutated = text.Replace("\"annotations\": {", "\"annotations\": {\"\\ud800\": \"x\",", StringComparison.Ordinal);
        Assert.NotEqual(text, mutated);

        var request = AdmissionReviewReader.Read(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(mutated)), annotationMatters: new DecisionSettings().AnnotationMatters);

        Assert.Null(request.Input);
        Assert.Equal("configmaps.v1.networking.k8s.io", request.Resource);
    }

    [Fact]
    public void A_kind_that_is_not_a_string_is_skipped_whole_and_cannot_supply_the_spec()
    {
        var text = Reviews.Load("create").ToJsonString();
        var mutated = text.Replace("\"object\":{\"kind\":\"NetworkPolicy\"", "\"object\":{\"kind\":{\"spec\":{\"podSelector\":{\"matchLabels\":{\"smuggled\":\"yes\"}}}}", StringComparison.Ordinal);
        Assert.NotEqual(text, mutated);

        var honest = AdmissionReviewReader.Read(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(text))).Input!;
        var input = AdmissionReviewReader.Read(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(mutated))).Input!;

        Assert.Equal(honest.Object!.Spec.Key, input.Object!.Spec.Key);
        Assert.DoesNotContain("smuggled", input.Object.Spec.Key, StringComparison.Ordinal);
        Assert.Equal(honest.Operation, input.Operation);
    }

    [Fact]
    public void A_repeated_userInfo_replaces_the_first_groups_and_all()
    {
        var review = Reviews.Load("create").AsUser("bob");
        ((JsonObject)review.Request()["userInfo"]!).Remove("groups");
        var text = review.ToJsonString();
        var mutated = text.Replace("\"userInfo\":", "\"userInfo\":{\"username\":\"alice\",\"groups\":[\"system:masters\"]},\"userInfo\":", StringComparison.Ordinal);
        Assert.NotEqual(text, mutated);

        var input = AdmissionReviewReader.Read(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(mutated))).Input!;

        Assert.Equal("bob", input.User.Username);
        Assert.Empty(input.User.Groups);
    }

    [Fact]
    public void A_repeated_request_replaces_the_first_whole()
    {
        var text = Reviews.Load("create").ToJsonString();
        var uid = Reviews.Load("create").Request()["uid"]!.GetValue<string>();
        var partialThenFull = text.Replace("\"request\":", "\"request\":{\"uid\":\"first\"},\"request\":", StringComparison.Ordinal);
        var fullThenPartial = text[..^1] + ",\"request\":{\"uid\":\"second\"}}";
        Assert.NotEqual(text, partialThenFull);

        var full = AdmissionReviewReader.Read(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(partialThenFull)));
        var partial = AdmissionReviewReader.Read(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(fullThenPartial)));

        Assert.Equal(uid, full.Uid);
        Assert.NotNull(full.Input);
        Assert.Equal("second", partial.Uid);
        Assert.Null(partial.Input); // nothing of the first request (its kind, resource, user) carried over
    }

    [Fact]
    public void Anything_after_the_review_is_not_JSON()
    {
        var body = Reviews.Load("create").ToJsonString() + " {}";

        var error = Assert.Throws<BadReviewException>(() => AdmissionReviewReader.Read(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(body))));

        Assert.StartsWith("body is not JSON", error.Message, StringComparison.Ordinal);
    }

    private static (Baseline Baseline, BaselineEntry Entry) BaselineDeclaring(JsonNode served)
    {
        var manifest = new JsonObject
        {
            ["apiVersion"] = "networking.k8s.io/v1",
            ["kind"] = "NetworkPolicy",
            ["metadata"] = new JsonObject { ["name"] = served["metadata"]!["name"]!.DeepClone(), ["namespace"] = served["metadata"]!["namespace"]!.DeepClone() },
            ["spec"] = served["spec"]!.DeepClone(),
        };
        var declared = ManifestReader.Read("policy.yaml", manifest.ToJsonString(), "default").Single();
        var entry = new BaselineEntry(declared.Policy, declared.Path, declared.DocumentIndex) { ServedDigest = declared.ServedDigest };
        Assert.NotNull(entry.ServedDigest);
        return (new Baseline("0123456789abcdef0123456789abcdef01234567", "main", DateTimeOffset.UnixEpoch, [entry]), entry);
    }

    private static AdmissionInput Read(JsonNode review, Baseline baseline, AnnotationFilter? annotationMatters = null) =>
        AdmissionReviewReader.Read(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(review.ToJsonString())), baseline, annotationMatters).Input!;
}
