using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using AdmissionGuard.Core.Decisions;
using AdmissionGuard.Core.Policy;
using AdmissionGuard.Git;
using AdmissionGuard.Hosting;
using AdmissionGuard.Observability;

namespace AdmissionGuard.Admission;

/// <summary>The webhook listener's <c>POST /validate</c>, and <c>/healthz</c> and <c>/readyz</c> on both listeners.</summary>
public static class AdmissionEndpoints
{
    public const long MaxBodyBytes = 8 * 1024 * 1024;

    public static WebApplication MapAdmission(this WebApplication app)
    {
        var services = app.Services;
        var store = services.GetRequiredService<BaselineStore>();
        var settings = services.GetRequiredService<DecisionSettings>();
        var refresher = services.GetRequiredService<BaselineRefresher>();
        var audit = services.GetRequiredService<DecisionAudit>();
        var metrics = services.GetRequiredService<GuardMetrics>();
        var clock = services.GetRequiredService<TimeProvider>();
        var validate = new Validation(store, settings, settings.AnnotationMatters, refresher, audit, metrics, clock);
        var gate = new LargeReviewGate();
        app.Lifetime.ApplicationStopped.Register(gate.Dispose);
        app.MapPost("/validate", context => LargeReviewGate.IsLarge(context.Request.ContentLength)
            ? ValidateLarge(context, validate, gate)
            : Validate(context, validate)).WithMetadata(ServedOn.Webhook);

        // Also on the ops port: with Webhook:ClientCa the webhook port refuses the kubelet, which probes
        // without a client certificate, so the probes move to the ops port.
        app.MapGet("/healthz", () => "ok");

        // Ready as soon as it can answer: a missing baseline is handled by the decision rules,
        // because an unready webhook makes the API server apply failurePolicy to everyone.
        app.MapGet("/readyz", () => "ok");
        return app;
    }

    /// <summary>What <c>/validate</c> needs, resolved once at start-up rather than through a request scope on every call.</summary>
    private sealed record Validation(
        BaselineStore Store, DecisionSettings Settings, AnnotationFilter AnnotationMatters, BaselineRefresher Refresher, DecisionAudit Audit, GuardMetrics Metrics, TimeProvider Clock);

    private static async Task ValidateLarge(HttpContext context, Validation validation, LargeReviewGate gate)
    {
        using var slot = await gate.EnterAsync(context.RequestAborted);
        await Validate(context, validation);
    }

    private static async Task Validate(HttpContext context, Validation validation)
    {
        var (store, settings, annotationMatters, refresher, audit, metrics, clock) = validation;
        var started = Stopwatch.GetTimestamp();
        var traceId = TraceId(context);
        var reader = context.Request.BodyReader;
        ReadResult read;
        while (true)
        {
            read = await reader.ReadAsync(context.RequestAborted);
            if (read.Buffer.Length > MaxBodyBytes)
            {
                reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
                await BadRequest(context, audit, metrics, traceId, $"body is larger than {MaxBodyBytes / 1024 / 1024} MiB");
                return;
            }

            if (read.IsCompleted)
            {
                break;
            }

            reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
        }

        // One snapshot for reading and deciding: a refresh in between cannot mix two commits.
        var baseline = store.Current;
        AdmissionRequest request;
        try
        {
            request = AdmissionReviewReader.Read(read.Buffer, baseline, annotationMatters, settings.LabelsMatter);
        }
        catch (BadReviewException e)
        {
            reader.AdvanceTo(read.Buffer.End);
            await BadRequest(context, audit, metrics, traceId, e.Message);
            return;
        }

        reader.AdvanceTo(read.Buffer.End);
        Decision decision;
        if (request.Input is not { } input)
        {
            audit.OtherResource(request.Uid, request.Resource);
            decision = Decide.OtherResource(request.Resource, settings.Mode);
        }
        else
        {
            decision = Decide.Admission(input, baseline, settings, clock.GetUtcNow());
            if (decision.BaselineLooksStale)
            {
                refresher.RequestRefresh();
            }

            audit.Decided(request.Uid, traceId ?? request.Uid, input, decision, baseline);
            metrics.Decided(input.Operation, decision);
        }

        context.Response.ContentType = "application/json";
        AdmissionResponseWriter.Write(context.Response.BodyWriter, request.Uid, decision);
        await context.Response.BodyWriter.FlushAsync(context.RequestAborted);
        metrics.ValidateTook(Stopwatch.GetElapsedTime(started), traceId);
    }

    /// <summary>
    /// The W3C trace id when the caller sent a valid <c>traceparent</c>, so that logs and metrics join the caller's
    /// trace; else null. The runtime's parser refuses what W3C Trace Context calls invalid (all-zero ids, upper case).
    /// </summary>
    private static string? TraceId(HttpContext context) =>
        context.Request.Headers["traceparent"] is { Count: 1 } header && ActivityContext.TryParse(header[0], null, out var parent)
            ? parent.TraceId.ToHexString()
            : null;

    private static Task BadRequest(HttpContext context, DecisionAudit audit, GuardMetrics metrics, string? traceId, string problem)
    {
        metrics.BadRequest();
        audit.BadRequest(context.Connection.RemoteIpAddress?.ToString(), problem, traceId ?? context.TraceIdentifier);
        context.Response.StatusCode = StatusCodes.Status400BadRequest;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(problem + "\n");
    }
}
