using System.Buffers;
using System.IO.Pipelines;
using AdmissionGuard.Core.Decisions;
using AdmissionGuard.Git;
using AdmissionGuard.Hosting;

namespace AdmissionGuard.Admission;

/// <summary>The webhook listener: <c>POST /validate</c>, <c>/healthz</c>, <c>/readyz</c>.</summary>
public static class AdmissionEndpoints
{
    public const long MaxBodyBytes = 8 * 1024 * 1024;

    public static WebApplication MapAdmission(this WebApplication app)
    {
        app.MapPost("/validate", Validate).WithMetadata(ServedOn.Webhook);
        app.MapGet("/healthz", () => "ok").WithMetadata(ServedOn.Webhook);

        // Ready as soon as it can answer: a missing baseline is handled by the decision rules,
        // because an unready webhook makes the API server apply failurePolicy to everyone.
        app.MapGet("/readyz", () => "ok").WithMetadata(ServedOn.Webhook);
        return app;
    }

    private static async Task Validate(
        HttpContext context, BaselineStore store, DecisionSettings settings, BaselineRefresher refresher, DecisionAudit audit, TimeProvider clock)
    {
        var reader = context.Request.BodyReader;
        ReadResult read;
        while (true)
        {
            read = await reader.ReadAsync(context.RequestAborted);
            if (read.Buffer.Length > MaxBodyBytes)
            {
                reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
                await BadRequest(context, audit, $"body is larger than {MaxBodyBytes / 1024 / 1024} MiB");
                return;
            }

            if (read.IsCompleted)
            {
                break;
            }

            reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
        }

        AdmissionRequest request;
        try
        {
            request = AdmissionReviewReader.Read(read.Buffer);
        }
        catch (BadReviewException e)
        {
            reader.AdvanceTo(read.Buffer.End);
            await BadRequest(context, audit, e.Message);
            return;
        }

        reader.AdvanceTo(read.Buffer.End);
        Decision decision;
        if (request.Input is not { } input)
        {
            audit.OtherResource(request.Uid, request.Resource);
            decision = new Decision(true, DecisionReason.NotANetworkPolicy, settings.Mode, "", [
                $"AdmissionGuard only reviews networkpolicies.v1.networking.k8s.io; {request.Resource} was allowed unreviewed: check the ValidatingWebhookConfiguration rules",
            ]);
        }
        else
        {
            var baseline = store.Current;
            decision = Decide.Admission(input, baseline, settings, clock.GetUtcNow());
            if (decision.BaselineLooksStale)
            {
                refresher.RequestRefresh();
            }

            audit.Decided(request.Uid, input, decision, baseline);
        }

        context.Response.ContentType = "application/json";
        AdmissionResponseWriter.Write(context.Response.BodyWriter, request.Uid, decision);
        await context.Response.BodyWriter.FlushAsync(context.RequestAborted);
    }

    private static Task BadRequest(HttpContext context, DecisionAudit audit, string problem)
    {
        audit.BadRequest(context.Connection.RemoteIpAddress?.ToString(), problem);
        context.Response.StatusCode = StatusCodes.Status400BadRequest;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(problem + "\n");
    }
}
