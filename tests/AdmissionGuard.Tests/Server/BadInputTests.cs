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
