using System.Buffers;
using System.Text;
using System.Text.Json;
using AdmissionGuard.Admission;
using AdmissionGuard.Core.Policy;
using AdmissionGuard.Git;

namespace AdmissionGuard.Tests.Hostile;

/// <summary>
/// Inputs that fuzzing (bench/fuzz.sh, docs/security.md) found to crash, hang or misreport a reader, kept in
/// Fixtures/fuzz/TARGET/: each is now read, or refused with the reader's documented exception and a
/// one-line message. The cases below spell out what each finding was.
/// </summary>
public sealed class FuzzFindingsTests
{
    private static readonly string Findings = Path.Combine(AppContext.BaseDirectory, "Fixtures", "fuzz");

    public static TheoryData<string, string> Found()
    {
        var data = new TheoryData<string, string>();
        foreach (var target in new[] { "review", "policy", "manifest" })
        {
            var folder = Path.Combine(Findings, target);
            foreach (var file in Directory.Exists(folder) ? Directory.GetFiles(folder).Order(StringComparer.Ordinal) : Enumerable.Empty<string>())
            {
                data.Add(target, Path.GetFileName(file));
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Found))]
    public void An_input_found_by_fuzzing_is_read_or_refused_in_one_line(string target, string file)
    {
        var input = File.ReadAllBytes(Path.Combine(Findings, target, file));
        var refusal = target switch
        {
            "review" => Refusal<BadReviewException>(() => AdmissionReviewReader.Read(new ReadOnlySequence<byte>(input))),
            "policy" => Refusal<PolicyFormatException>(() =>
            {
                using var document = JsonDocument.Parse(input, new JsonDocumentOptions { MaxDepth = 128 });
                var policy = PolicyReader.Read(document.RootElement);
                ServedSpec.Render(document.RootElement, policy.Spec);
            }),
            _ => Refusal<ManifestException>(() => ManifestReader.Read("fuzz/input.yaml", Encoding.UTF8.GetString(input), "default")),
        };

        if (refusal is not null)
        {
            Assert.NotEmpty(refusal);
            Assert.DoesNotContain('\n', refusal);
            Assert.DoesNotContain('\r', refusal);
        }
    }

    [Fact]
    public void Control_characters_in_a_reviewed_policy_are_escaped_in_the_reason()
    {
        // Found by the review target: JSON escapes (\r, \n) in a field name or value were copied into the
        // 400 reason and its log line, which then spanned several lines.
        var fieldName = Refused("""{"podSelector":{},"ingress":[{"p\rts":[]}]}""");
        Assert.StartsWith("request.object.spec.ingress[0].p\\rts: unknown field \"p\\rts\"", fieldName, StringComparison.Ordinal);
        Assert.DoesNotContain('\r', fieldName);

        var value = Refused("""{"podSelector":{},"policyTypes":["In\ngress"]}""");
        Assert.Equal("request.object.spec.policyTypes[0]: unsupported value \"In\\ngress\": must be Ingress or Egress", value);

        var operation = Assert.Throws<BadReviewException>(() => Read(Review("CRE\\u2028ATE", """{"podSelector":{}}"""))).Message;
        Assert.Equal("request.operation \"CRE\\u2028ATE\" is not CREATE, UPDATE, DELETE or CONNECT", operation);

        static string Refused(string spec) => Assert.Throws<BadReviewException>(() => Read(Review("CREATE", spec))).Message;
    }

    [Theory]
    [InlineData("""{"spec":{"podSelector":{"matchLabels":{"app":"\ud800"}}}}""", "spec.podSelector.matchLabels.app: ")]
    [InlineData("""{"spec":{"policyTypes":["\udc00"]}}""", "spec.policyTypes[0]: ")]
    [InlineData("""{"\ud800":1}""", "(object): ")]
    public void A_policy_string_that_is_not_valid_unicode_is_a_located_format_error(string json, string location)
    {
        // Found by the policy target: JsonElement decodes strings only when they are read, so an escaped lone
        // surrogate (or invalid UTF-8) escaped PolicyReader.Read as InvalidOperationException.
        using var document = JsonDocument.Parse(json);
        var error = Assert.Throws<PolicyFormatException>(() => PolicyReader.Read(document.RootElement));
        Assert.StartsWith(location + "has a string that is not valid Unicode: ", error.Message, StringComparison.Ordinal);

        var utf8 = Encoding.UTF8.GetBytes("""{"spec":{"podSelector":{"matchLabels":{"app":"x"}}}}""");
        utf8[Array.IndexOf(utf8, (byte)'x')] = 0xFF;
        using var invalid = JsonDocument.Parse(utf8);
        Assert.StartsWith("spec.podSelector.matchLabels.app: has a string that is not valid Unicode: ", Assert.Throws<PolicyFormatException>(() => PolicyReader.Read(invalid.RootElement)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Control_characters_in_a_manifest_are_escaped_in_the_error()
    {
        const string Yaml = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: x}\nspec:\n  \"pod\\rSelector\": {}\n";
        var error = Assert.Throws<ManifestException>(() => ManifestReader.Read("team\n/a.yaml", Yaml, "default"));
        Assert.StartsWith("team\\n/a.yaml: document 0: line 5, column 3: spec.pod\\rSelector: unknown field \"pod\\rSelector\" (did you mean \"podSelector\"?)", error.Message, StringComparison.Ordinal);
    }

    private static AdmissionRequest Read(string review) => AdmissionReviewReader.Read(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(review)));

    /// <summary>A CREATE or UPDATE review of shop/web by alice (JSON written with single quotes for readability).</summary>
    private static string Review(string operation, string spec) =>
        ("{'apiVersion':'admission.k8s.io/v1','kind':'AdmissionReview','request':{'uid':'u1',"
        + "'kind':{'group':'networking.k8s.io','version':'v1','kind':'NetworkPolicy'},"
        + "'resource':{'group':'networking.k8s.io','version':'v1','resource':'networkpolicies'},"
        + "'name':'web','namespace':'shop','operation':'OPERATION','userInfo':{'username':'alice'},"
        + "'object':{'apiVersion':'networking.k8s.io/v1','kind':'NetworkPolicy','metadata':{'name':'web','namespace':'shop'},'spec':SPEC}}}")
        .Replace('\'', '"').Replace("OPERATION", operation, StringComparison.Ordinal).Replace("SPEC", spec, StringComparison.Ordinal);

    /// <summary>Null when <paramref name="read"/> returns; the message of <typeparamref name="T"/>; any other exception fails the test.</summary>
    private static string? Refusal<T>(Action read)
        where T : Exception
    {
        var run = Task.Run(() =>
        {
            try
            {
                read();
                return null;
            }
            catch (T e)
            {
                return e.Message;
            }
        });
        Assert.True(run.Wait(TimeSpan.FromSeconds(30)), "still reading after 30 s");
        return run.Result;
    }
}
