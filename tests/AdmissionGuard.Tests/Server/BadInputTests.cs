using System.Net;
using System.Text.Json.Nodes;
using AdmissionGuard.Tests.Support;
using Serilog.Events;

namespace AdmissionGuard.Tests.Server;

/// <summary>What no API server would send gets 400 with a one-line reason, and the server keeps answering.</summary>
public sealed class BadInputTests(EnforcingServer server) : IClassFixture<EnforcingServer>
{
    public static TheoryData<string, string, string> Cases()
    {
        var wrongVersion = Reviews.Load("create");
        wrongVersion["apiVersion"] = "admission.k8s.io/v1beta1";
        var noUid = Reviews.Load("create");
        noUid.Request().Remove("uid");
        var kindMismatch = Reviews.Load("create");
        kindMismatch.Request()["object"]!["kind"] = "ConfigMap";
        var podKind = Reviews.Load("create");
        podKind.Request()["kind"] = new JsonObject { ["group"] = "", ["version"] = "v1", ["kind"] = "Pod" };
        podKind.Request()["resource"] = new JsonObject { ["group"] = "", ["version"] = "v1", ["resource"] = "pods" };
        var badPort = Reviews.Load("create");
        badPort.Request()["object"]!["spec"]!["ingress"]![0]!["ports"]![0]!["port"] = 70000;
        var noObject = Reviews.Load("create");
        noObject.Request()["object"] = null;
        return new TheoryData<string, string, string>
        {
            { "not JSON", "not json", "body is not JSON" },
            { "JSON but not an AdmissionReview", """{"hello":"world"}""", "not an admission.k8s.io/v1 AdmissionReview" },
            { "admission.k8s.io/v1beta1", wrongVersion.ToJsonString(), "not an admission.k8s.io/v1 AdmissionReview" },
            { "no request.uid", noUid.ToJsonString(), "request.uid is missing" },
            { "object.kind contradicts request.kind", kindMismatch.ToJsonString(), "request.object is networking.k8s.io/v1 ConfigMap" },
            { "request.kind says Pod of a NetworkPolicy", podKind.ToJsonString(), "request.object is networking.k8s.io/v1 NetworkPolicy, but request.kind says v1 Pod" },
            { "port out of range", badPort.ToJsonString(), "request.object.spec.ingress[0].ports[0].port" },
            { "CREATE without object", noObject.ToJsonString(), "request.object is missing" },
        };
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Bad_input_gets_400_with_a_one_line_reason(string because, string body, string reason)
    {
        using var response = await server.Host.PostAsync(body);
        var text = await response.Content.ReadAsStringAsync();

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, because);
        Assert.Contains(reason, text, StringComparison.Ordinal);
        Assert.Single(text.TrimEnd('\n').Split('\n'));
        Assert.True((await server.Host.ReviewAsync(Reviews.Load("create"))).TryGetPropertyValue("allowed", out _), "the next good request is answered");
    }

    /// <summary>Requests built around the API server, each with one value of about a megabyte.</summary>
    public static TheoryData<string, string> Oversized() => new()
    {
        { "operation of 500,000 lines", "request.operation \"X\\nX\\n" },
        { "object.kind of a megabyte", "request.object is networking.k8s.io/v1 KKKK" },
        { "port literal of a megabyte", "request.object.spec.ingress[0].ports[0].port: must be a port number between 1 and 65535, not 9999" },
        { "label key of many lines", "request.object.spec.podSelector.matchLabels.a\\nb\\n" },
        { "uid of a megabyte", "request.uid \"uuuu" },
    };

    [Theory]
    [MemberData(nameof(Oversized))]
    public async Task A_value_quoted_from_the_request_is_cut_and_escaped_in_a_one_line_400_of_at_most_512_bytes(string because, string start)
    {
        using var response = await server.Host.PostAsync(OversizedBody(because));
        var bytes = await response.Content.ReadAsByteArrayAsync();
        var text = System.Text.Encoding.UTF8.GetString(bytes);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True(bytes.Length <= 512, $"{because}: {bytes.Length} bytes");
        Assert.Equal(text.Length - 1, text.IndexOf('\n', StringComparison.Ordinal));
        Assert.StartsWith(start, text, StringComparison.Ordinal);
        Assert.Matches(@"…\(\d+ more\)", text);
    }

    private static string OversizedBody(string because)
    {
        var review = Reviews.Load("create");
        var obj = review.Request()["object"]!;
        switch (because)
        {
            case "operation of 500,000 lines":
                review.Request()["operation"] = string.Concat(Enumerable.Repeat("X\n", 500_000));
                break;
            case "object.kind of a megabyte":
                obj["kind"] = new string('K', 1_000_000);
                break;
            case "port literal of a megabyte":
                return review.ToJsonString().Replace("\"port\":80", "\"port\":" + new string('9', 1_000_000), StringComparison.Ordinal);
            case "label key of many lines":
                obj["spec"]!["podSelector"] = new JsonObject { ["matchLabels"] = new JsonObject { [string.Concat(Enumerable.Repeat("a\nb\n", 100_000))] = 1 } };
                break;
            case "uid of a megabyte":
                review.Request()["uid"] = new string('u', 1_000_000);
                break;
        }

        return review.ToJsonString();
    }

    [Fact]
    public async Task The_bad_request_warning_carries_a_request_id_the_callers_trace_when_it_sent_one()
    {
        // Tests of one class run one at a time: the last warning is this request's.
        using var traced = new HttpRequestMessage(HttpMethod.Post, "/validate")
        {
            Content = new StringContent("""{"hello":"traced"}""", System.Text.Encoding.UTF8, "application/json"),
        };
        traced.Headers.Add("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        using (await server.Host.Webhook.SendAsync(traced))
        {
        }

        var tracedWarning = LastBadRequestWarning();
        using (await server.Host.PostAsync("""{"hello":"untraced"}"""))
        {
        }

        var untracedWarning = LastBadRequestWarning();

        Assert.Equal("0af7651916cd43dd8448eb211c80319c", CollectingSink.Scalar(tracedWarning, "RequestId"));
        Assert.Matches("^[0-9A-Z]+:[0-9A-F]{8}$", CollectingSink.Scalar(untracedWarning, "RequestId") as string);
        Assert.NotSame(tracedWarning, untracedWarning);
    }

    private LogEvent LastBadRequestWarning() =>
        server.Host.Logs.Events.Last(e => e.MessageTemplate.Text.StartsWith("Bad admission request", StringComparison.Ordinal));

    [Fact]
    public async Task A_body_over_8_MiB_gets_400()
    {
        var review = Reviews.Load("create");
        review.Request()["object"]!["metadata"]!["annotations"] = new JsonObject { ["padding"] = new string('x', 9 * 1024 * 1024) };

        using var response = await server.Host.PostAsync(review.ToJsonString());

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("larger than 8 MiB", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
