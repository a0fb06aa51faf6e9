using System.Buffers;
using System.Text.Json;
using AdmissionGuard.Admission;
using AdmissionGuard.Core;
using AdmissionGuard.Core.Decisions;
using AdmissionGuard.Core.Policy;
using AdmissionGuard.Git;
using AdmissionGuard.Observability;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Core;
using Serilog.Events;
using Serilog.Extensions.Logging;

namespace AdmissionGuard.Benchmarks;

/// <summary>
/// The decision core against a 10,000-policy baseline, for an UPDATE review (about 6 KB, as kubectl
/// apply sends it) whose policy is equal, equal but reordered, or different from Git.
/// </summary>
[MemoryDiagnoser]
public class DecisionBenchmarks
{
    private const int Policies = 10_000;
    private const int Subject = 4242;

    private readonly DecisionSettings _settings = new();
    private AnnotationFilter _annotationMatters = null!;
    private readonly DateTimeOffset _now = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);
    private readonly ArrayBufferWriter<byte> _response = new(4096);
    private Baseline _baseline = null!;
    private byte[] _body = null!;
    private AdmissionInput _input = null!;
    private JsonDocument _review = null!;
    private JsonElement _object;
    private DecisionAudit _audit = null!;
    private SerilogLoggerFactory _logging = null!;

    [Params(PolicyCase.Equal, PolicyCase.ReorderedEqual, PolicyCase.Different)]
    public PolicyCase Case { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _baseline = BaselineFromManifests(Policies);
        _annotationMatters = _settings.AnnotationMatters;
        _body = Fixtures.Review(Subject, Case);
        _input = AdmissionReviewReader.Read(new ReadOnlySequence<byte>(_body)).Input!;
        _review = JsonDocument.Parse(_body);
        _object = _review.RootElement.GetProperty("request").GetProperty("object");
        var expected = Case == PolicyCase.Different ? DecisionReason.DiffersFromGit : DecisionReason.MatchesGit;
        var decision = Decide.Admission(_input, _baseline, _settings, _now);
        if (decision.Reason != expected)
        {
            throw new InvalidOperationException($"{Case}: expected {expected}, got {decision.Reason}: {decision.Message}");
        }

        // The production audit format: compact JSON lines in UTF-8 (here formatted at once, into a reused buffer).
        var events = new LoggerConfiguration()
            .MinimumLevel.Information()
            .WriteTo.Sink(new FormattingSink())
            .CreateLogger();
        _logging = new SerilogLoggerFactory(events, dispose: true);
        _audit = new DecisionAudit(_logging.CreateLogger<DecisionAudit>(), events);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _logging.Dispose();
        _review.Dispose();
    }

    /// <summary>The canonical form of the request's object from the parsed review: what each policy costs to read.</summary>
    [Benchmark]
    public CanonicalPolicy ReadPolicy() => PolicyReader.Read(_object, Fixtures.Namespace(Subject));

    /// <summary>Decide on an already-read request: rules, baseline lookup, canonical comparison (and the diff when different).</summary>
    [Benchmark(Baseline = true)]
    public Decision DecideOnly() => Decide.Admission(_input, _baseline, _settings, _now);

    /// <summary>Read the AdmissionReview as /validate does (both policies to canonical form, the declared spec recognised), then decide.</summary>
    [Benchmark]
    public Decision ReadAndDecide()
    {
        var request = AdmissionReviewReader.Read(new ReadOnlySequence<byte>(_body), _baseline, _annotationMatters, _settings.LabelsMatter);
        return Decide.Admission(request.Input!, _baseline, _settings, _now);
    }

    /// <summary>What /validate does without HTTP: read, decide, write the AdmissionReview response.</summary>
    [Benchmark]
    public int Pipeline()
    {
        var request = AdmissionReviewReader.Read(new ReadOnlySequence<byte>(_body), _baseline, _annotationMatters, _settings.LabelsMatter);
        var decision = Decide.Admission(request.Input!, _baseline, _settings, _now);
        _response.ResetWrittenCount();
        AdmissionResponseWriter.Write(_response, request.Uid, decision);
        return _response.WrittenCount;
    }

    /// <summary><see cref="Pipeline"/> plus the audit event as production writes it (compact JSON lines in UTF-8, into a reused buffer).</summary>
    [Benchmark]
    public int PipelineWithAudit()
    {
        var request = AdmissionReviewReader.Read(new ReadOnlySequence<byte>(_body), _baseline, _annotationMatters, _settings.LabelsMatter);
        var decision = Decide.Admission(request.Input!, _baseline, _settings, _now);
        _audit.Decided(request.Uid, request.Uid, request.Input!, decision, _baseline);
        _response.ResetWrittenCount();
        AdmissionResponseWriter.Write(_response, request.Uid, decision);
        return _response.WrittenCount;
    }

    internal static Baseline BaselineFromManifests(int count)
    {
        var files = Enumerable.Range(0, count).Select(i => new ManifestFile(Fixtures.ManifestPath(i), Fixtures.Manifest(i))).ToList();
        return BaselineLoader.Load(new string('a', 40), files, [], new GitSettings(), DateTimeOffset.UtcNow).Baseline;
    }
}

/// <summary>Formats every event as standard output's sink does (compact JSON), into a writer that is then cleared.</summary>
internal sealed class FormattingSink : ILogEventSink
{
    private readonly Serilog.Formatting.Compact.CompactJsonFormatter _formatter = new();
    private readonly StringWriter _output = new();

    public void Emit(LogEvent logEvent)
    {
        _formatter.Format(logEvent, _output);
        _output.GetStringBuilder().Clear();
    }
}
