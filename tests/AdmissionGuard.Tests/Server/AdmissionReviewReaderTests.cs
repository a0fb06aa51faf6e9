using System.Buffers;
using System.Text;
using System.Text.Json.Nodes;
using AdmissionGuard.Admission;
using AdmissionGuard.Core;
using AdmissionGuard.Core.Decisions;
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
        var entry = new BaselineEntry(declared.Policy, declared.Path, declared.DocumentIndex) { ServedSpec = declared.ServedSpec };
        Assert.NotNull(entry.ServedSpec);
        return (new Baseline("0123456789abcdef0123456789abcdef01234567", "main", DateTimeOffset.UnixEpoch, [entry]), entry);
    }

    private static AdmissionInput Read(JsonNode review, Baseline baseline, Func<string, bool>? annotationMatters = null) =>
        AdmissionReviewReader.Read(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(review.ToJsonString())), baseline, annotationMatters).Input!;
}
