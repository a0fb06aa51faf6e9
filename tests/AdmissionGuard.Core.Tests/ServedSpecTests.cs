using System.Text;
using System.Text.Json;
using AdmissionGuard.Core.Policy;

namespace AdmissionGuard.Core.Tests;

/// <summary>
/// <see cref="ServedSpec"/>: a declared spec rendered the way the API server writes it in an AdmissionReview
/// (Go field order, defaults, omitempty, compact), and the reader's use of it.
/// </summary>
public class ServedSpecTests
{
    public static TheoryData<string, string, string> Renderings => new()
    {
        {
            "empty spec: podSelector is always written, policyTypes defaulted",
            """{}""",
            """{"podSelector":{},"policyTypes":["Ingress"]}"""
        },
        {
            "null and empty lists are omitted",
            """{"podSelector":null,"ingress":[],"egress":null,"policyTypes":[]}""",
            """{"podSelector":{},"policyTypes":["Ingress"]}"""
        },
        {
            "egress rules default policyTypes to Ingress, Egress",
            """{"egress":[{}]}""",
            """{"podSelector":{},"egress":[{}],"policyTypes":["Ingress","Egress"]}"""
        },
        {
            "fields in Go struct order, matchLabels keys sorted, protocol defaulted",
            """{"policyTypes":["Egress"],"egress":[{"to":[{"ipBlock":{"except":["10.0.1.0/24"],"cidr":"10.0.0.0/16"}}],"ports":[{"port":53,"protocol":"UDP"},{"port":"dns"}]}],"podSelector":{"matchLabels":{"b":"2","a":"1"}}}""",
            """{"podSelector":{"matchLabels":{"a":"1","b":"2"}},"egress":[{"ports":[{"protocol":"UDP","port":53},{"protocol":"TCP","port":"dns"}],"to":[{"ipBlock":{"cidr":"10.0.0.0/16","except":["10.0.1.0/24"]}}]}],"policyTypes":["Egress"]}"""
        },
        {
            "list order is kept: the API server does not sort",
            """{"ingress":[{"from":[{"podSelector":{"matchLabels":{"app":"b"}}},{"podSelector":{"matchLabels":{"app":"a"}}}]}]}""",
            """{"podSelector":{},"ingress":[{"from":[{"podSelector":{"matchLabels":{"app":"b"}}},{"podSelector":{"matchLabels":{"app":"a"}}}]}],"policyTypes":["Ingress"]}"""
        },
        {
            "peer selectors: empty kept, null omitted, expressions without values",
            """{"ingress":[{"from":[{"namespaceSelector":{},"podSelector":{"matchExpressions":[{"operator":"Exists","key":"k","values":[]}]},"ipBlock":null}],"ports":[{}]}]}""",
            """{"podSelector":{},"ingress":[{"ports":[{"protocol":"TCP"}],"from":[{"podSelector":{"matchExpressions":[{"key":"k","operator":"Exists"}]},"namespaceSelector":{}}]}],"policyTypes":["Ingress"]}"""
        },
        {
            "empty rule and empty peer list",
            """{"ingress":[{"from":[]},{}]}""",
            """{"podSelector":{},"ingress":[{},{}],"policyTypes":["Ingress"]}"""
        },
        {
            "port range and IPv6",
            """{"egress":[{"ports":[{"port":8000,"endPort":8080,"protocol":"SCTP"}],"to":[{"ipBlock":{"cidr":"2001:db8::/32"}}]}],"policyTypes":["Egress"]}""",
            """{"podSelector":{},"egress":[{"ports":[{"protocol":"SCTP","port":8000,"endPort":8080}],"to":[{"ipBlock":{"cidr":"2001:db8::/32"}}]}],"policyTypes":["Egress"]}"""
        },
    };

    [Theory]
    [MemberData(nameof(Renderings))]
    public void Renders_the_spec_as_the_API_server_writes_it(string because, string spec, string expected)
    {
        var policy = Policies.Object(spec);

        var rendered = Render(policy);

        Assert.True(rendered is not null, because);
        Assert.Equal(expected, Encoding.UTF8.GetString(rendered));
    }

    [Theory]
    [MemberData(nameof(Renderings))]
    public void The_API_servers_own_form_renders_to_itself(string because, string spec, string expected)
    {
        _ = spec;

        var rendered = Render(Policies.Object(expected));

        Assert.True(rendered is not null, because);
        Assert.Equal(expected, Encoding.UTF8.GetString(rendered));
    }

    [Theory]
    [InlineData("a field the API server does not know", """{"podSelector":{},"priority":1}""")]
    [InlineData("a field given twice", """{"podSelector":{},"podSelector":{}}""")]
    [InlineData("a label value Go would escape differently", """{"podSelector":{"matchLabels":{"app":"a<b"}}}""")]
    [InlineData("a port that is not an integer", """{"ingress":[{"ports":[{"port":80.5}]}]}""")]
    [InlineData("a rule list that is not a list", """{"ingress":{"from":[]}}""")]
    public void Leaves_to_the_full_read_what_it_cannot_render_exactly(string because, string spec)
    {
        using var document = JsonDocument.Parse(Policies.Object(spec));

        Assert.True(ServedSpec.Render(document.RootElement, Policies.Spec("{}").Spec) is null, because);
        Assert.True(ServedSpec.Digest(document.RootElement, Policies.Spec("{}").Spec) is null, because);
    }

    [Theory]
    [MemberData(nameof(Renderings))]
    public void The_digest_kept_is_the_renderings_digest(string because, string spec, string expected)
    {
        using var document = JsonDocument.Parse(Policies.Object(spec));
        var canonical = PolicyReader.Read(document.RootElement).Spec;

        var digest = ServedSpec.Digest(document.RootElement, canonical);

        Assert.True(digest == SpecDigest.Of(Encoding.UTF8.GetBytes(expected)), because);
        Assert.NotEqual(SpecDigest.Of(Encoding.UTF8.GetBytes(expected + " ")), digest);
    }

    [Fact]
    public void Many_match_labels_are_written_in_byte_order()
    {
        var keys = Enumerable.Range(0, 40).Select(i => $"k{i:D2}").Concat(["app.kubernetes.io/name", "app-x", "app", "App", "a_b"]).Reverse().ToList();
        var labels = string.Join(",", keys.Select(k => $"\"{k}\":\"v\""));

        var rendered = Render(Policies.Object($"{{\"podSelector\":{{\"matchLabels\":{{{labels}}}}}}}"));

        var expected = string.Join(",", keys.Order(StringComparer.Ordinal).Select(k => $"\"{k}\":\"v\""));
        Assert.Equal($"{{\"podSelector\":{{\"matchLabels\":{{{expected}}}}},\"policyTypes\":[\"Ingress\"]}}", rendered is null ? "(not rendered)" : Encoding.UTF8.GetString(rendered));
        Assert.StartsWith("\"App\":\"v\",\"a_b\":\"v\",\"app\":\"v\",\"app-x\":\"v\",\"app.kubernetes.io/name\"", expected, StringComparison.Ordinal);
    }

    [Fact]
    public void A_rendering_that_does_not_read_back_as_the_declared_spec_is_dropped()
    {
        using var document = JsonDocument.Parse(Policies.Object("""{"ingress":[{"ports":[{"port":80}]}]}"""));
        var otherSpec = Policies.Spec("""{"ingress":[{"ports":[{"port":443}]}]}""").Spec;

        Assert.Null(ServedSpec.Render(document.RootElement, otherSpec));
        Assert.Null(ServedSpec.Digest(document.RootElement, otherSpec));
    }

    [Fact]
    public void Reader_takes_the_expected_spec_when_the_bytes_are_the_rendering()
    {
        var declared = Policies.Spec("""{"policyTypes":["Ingress"],"ingress":[{"from":[{"podSelector":{}}],"ports":[{"port":80}]}]}""");
        var served = Render(Policies.Object("""{"policyTypes":["Ingress"],"ingress":[{"from":[{"podSelector":{}}],"ports":[{"port":80}]}]}"""))!;
        var request = Policies.Object(Encoding.UTF8.GetString(served), """{"labels":{"edited":"yes"}}""");

        var shared = PolicyReader.SharedParts.Expecting(SpecDigest.Of(served), declared.Spec);
        var read = Policies.ReadAsReviewed(request, ref shared);

        Assert.Same(declared.Spec, read.Spec);
        Assert.Equal("yes", read.Labels["edited"]);
    }

    [Theory]
    [InlineData("the same spec with its fields in another order", """{"policyTypes":["Ingress"],"podSelector":{},"ingress":[{"from":[{"podSelector":{}}],"ports":[{"port":80,"protocol":"TCP"}]}]}""", true)]
    [InlineData("another port", """{"podSelector":{},"ingress":[{"ports":[{"protocol":"TCP","port":81}],"from":[{"podSelector":{}}]}],"policyTypes":["Ingress"]}""", false)]
    public void Reader_reads_any_other_bytes_in_full(string because, string requestSpec, bool equivalent)
    {
        var declared = Policies.Spec("""{"ingress":[{"from":[{"podSelector":{}}],"ports":[{"port":80}]}]}""");
        var served = Render(Policies.Object("""{"ingress":[{"from":[{"podSelector":{}}],"ports":[{"port":80}]}]}"""))!;
        var shared = PolicyReader.SharedParts.Expecting(SpecDigest.Of(served), declared.Spec);
        var read = Policies.ReadAsReviewed(Policies.Object(requestSpec), ref shared);

        Assert.NotSame(declared.Spec, read.Spec);
        Assert.True(equivalent == (read.Spec.Key == declared.Spec.Key), because);
        Assert.Equal(Policies.Read(Policies.Object(requestSpec)).Spec.Key, read.Spec.Key);
    }

    [Fact]
    public void A_rendering_is_the_same_after_one_abandoned_midway_and_after_a_large_one()
    {
        const string Spec = """{"podSelector":{"matchLabels":{"app":"db"}},"ingress":[{"ports":[{"port":5432}]}]}""";
        var alone = OnNewThread(() => Render(Policies.Object(Spec)));
        var abandoned = Policies.Object("""{"ingress":[{"from":[{"podSelector":{"matchLabels":{"app":"a"}}},{"podSelector":{"matchLabels":{"app":"a b"}}}]}]}""");
        var large = Policies.Object("{\"ingress\":[" + string.Join(",", Enumerable.Range(0, 2_000).Select(i => $"{{\"ports\":[{{\"port\":{i + 1}}}]}}")) + "]}");

        var (afterAbandoned, afterLarge, largeRendered) = OnNewThread(() =>
        {
            var first = Render(abandoned) is null ? Render(Policies.Object(Spec)) : null;
            var rendered = Render(large);
            return (first, Render(Policies.Object(Spec)), rendered);
        });

        Assert.NotNull(alone);
        Assert.Equal(Encoding.UTF8.GetString(alone), afterAbandoned is null ? "(not rendered)" : Encoding.UTF8.GetString(afterAbandoned));
        Assert.Equal(Encoding.UTF8.GetString(alone), afterLarge is null ? "(not rendered)" : Encoding.UTF8.GetString(afterLarge));
        Assert.True(largeRendered?.Length > 64 * 1024, $"the large spec rendered to {largeRendered?.Length} bytes");
    }

    /// <summary>Runs on a thread of its own, so the rendering buffer it finds is the one the work leaves there.</summary>
    private static T OnNewThread<T>(Func<T> work)
    {
        var (result, error) = (default(T), default(Exception));
        var thread = new Thread(() =>
        {
            try
            {
                result = work();
            }
            catch (Exception e)
            {
                error = e;
            }
        });
        thread.Start();
        thread.Join();
        return error is null ? result! : throw new InvalidOperationException("the work failed on its thread", error);
    }

    private static byte[]? Render(string policyJson)
    {
        using var document = JsonDocument.Parse(policyJson);
        return ServedSpec.Render(document.RootElement, PolicyReader.Read(document.RootElement).Spec);
    }
}
