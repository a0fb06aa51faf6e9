using System.Buffers;
using System.Text;
using System.Text.Json;
using AdmissionGuard.Admission;
using AdmissionGuard.Core;
using AdmissionGuard.Core.Decisions;
using AdmissionGuard.Core.Policy;
using AdmissionGuard.Git;
using AdmissionGuard.Hosting;

namespace AdmissionGuard.Fuzz;

/// <summary>What a target did with one input. Anything thrown out of <see cref="Targets.Run"/> is a crash.</summary>
internal enum Outcome
{
    /// <summary>The reader accepted the input.</summary>
    Read,

    /// <summary>The reader refused it with its documented exception.</summary>
    Refused,

    /// <summary>The input is not for this target (the policy target's input is not JSON).</summary>
    Skipped,
}

/// <summary>
/// The readers that take input from outside: the webhook's AdmissionReview body, a policy object, and a
/// manifest file from Git. Each is called as production calls it; the exception it documents for bad
/// input is a refusal, anything else (or a hang) is a finding.
/// </summary>
internal static class Targets
{
    public static readonly string[] Names = ["review", "policy", "manifest"];

    private static readonly Lazy<Baseline> ExampleBaseline = new(LoadExampleBaseline);
    private static readonly DecisionSettings DefaultSettings = new();

    /// <summary>The last refusal's message (for replay output); null after a read.</summary>
    [ThreadStatic]
    public static string? LastRefusal;

    /// <summary>
    /// Loads what a target reads besides its input (the review target's baseline) before afl-fuzz watches: a new
    /// process after a hang would otherwise report the load's code as coverage of its first input.
    /// </summary>
    public static void Prepare(string target)
    {
        if (target == "review")
        {
            _ = ExampleBaseline.Value;
        }
    }

    public static Outcome Run(string target, byte[] input) => target switch
    {
        "review" => Review(input),
        "policy" => Policy(input),
        "manifest" => Manifest(input),
        _ => throw new ArgumentException($"unknown target {target}: expected {string.Join(", ", Names)}", nameof(target)),
    };

    /// <summary>
    /// The body read twice: as one buffer with the reader's defaults, and split in two segments (as Kestrel may
    /// hand it over) with the server's default settings and the built-in example as the baseline, so the
    /// served-spec shortcut, the annotation filter and the label check run too. They may differ (an annotation
    /// nothing reads is not decoded): each only has to read or refuse. The outcome is the first read's.
    /// </summary>
    private static Outcome Review(byte[] input)
    {
        var whole = Refusal(() => AdmissionReviewReader.Read(new ReadOnlySequence<byte>(input)));
        Refusal(() => AdmissionReviewReader.Read(
            TwoSegments(input), ExampleBaseline.Value, DefaultSettings.AnnotationMatters, DefaultSettings.LabelsMatter));
        return Result(whole);

        static string? Refusal(Action read)
        {
            try
            {
                read();
                return null;
            }
            catch (BadReviewException e)
            {
                return Located(e.Message);
            }
        }
    }

    /// <summary>A policy object as JSON (as a review's object or a converted manifest reaches the reader); input that is not JSON is skipped.</summary>
    private static Outcome Policy(byte[] input)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(input, new JsonDocumentOptions { MaxDepth = 128 });
        }
        catch (JsonException)
        {
            return Outcome.Skipped;
        }

        using (document)
        {
            try
            {
                var policy = PolicyReader.Read(document.RootElement, defaultNamespace: "default");
                ServedSpec.Render(document.RootElement, policy.Spec);
                return Result(null);
            }
            catch (PolicyFormatException e)
            {
                return Result(Located(e.Message));
            }
        }
    }

    /// <summary>
    /// A manifest file, its bytes turned into text as the baseline loader does (<see cref="ManifestText"/>: UTF-8 only).
    /// Where the block-style reader reads the text, YamlDotNet's events must give every document the same JSON: a
    /// difference is a finding.
    /// </summary>
    private static Outcome Manifest(byte[] input)
    {
        try
        {
            var text = ManifestText.Decode("fuzz/input.yaml", input, "fuzz");
            SameAsReference(text);
            ManifestReader.Read("fuzz/input.yaml", text, "default");
            return Result(null);
        }
        catch (BaselineLoadException e)
        {
            return Result(Located(e.Message));
        }
        catch (ManifestException e)
        {
            return Result(Located(e.Message));
        }
    }

    private static void SameAsReference(string text)
    {
        using var block = BlockYamlToJson.TryConvert(text);
        using var policiesOnly = BlockYamlToJson.TryConvert(text, policiesOnly: true);
        if ((block is null) != (policiesOnly is null))
        {
            throw new InvalidOperationException($"the block-style reader {(block is null ? "left" : "read")} the text, but {(policiesOnly is null ? "left" : "read")} it for its policies only");
        }

        if (block is null)
        {
            return;
        }

        for (var index = 0; index < block.Count; index++)
        {
            if (policiesOnly![index] is null && block[index]?.RootElement is { ValueKind: JsonValueKind.Object } root
                && root.TryGetProperty("kind", out var kind) && kind.ValueKind == JsonValueKind.String && ManifestReader.MayDeclarePolicies(kind.GetString()))
            {
                throw new InvalidOperationException($"document {index}, a {kind.GetString()}, was left out when reading for policies only");
            }

            if (policiesOnly[index] is { } converted && converted.RootElement.GetRawText() != block[index]?.RootElement.GetRawText())
            {
                throw new InvalidOperationException($"document {index} reads differently for policies only: {converted.RootElement.GetRawText()} against {block[index]?.RootElement.GetRawText()}");
            }
        }

        List<string?> reference;
        try
        {
            var nodes = YamlNodes.Parse(text, []);
            reference = [.. nodes.Documents.Select(root => nodes[nodes.Resolve(root)] is YamlDotNet.Core.Events.MappingStart ? Json(nodes, nodes.Resolve(root)) : null)];
        }
        catch (Exception e) when (ManifestReader.IsYamlFailure(e) || e is JsonException)
        {
            throw new InvalidOperationException($"the block-style reader read a text YamlDotNet refuses ({e.Message})");
        }

        var read = block.Select(document => document?.RootElement.GetRawText()).ToList();
        if (!read.SequenceEqual(reference))
        {
            throw new InvalidOperationException($"the block-style reader read {string.Join(" | ", read)}, YamlDotNet's events {string.Join(" | ", reference)}");
        }

        static string Json(YamlNodes nodes, int root)
        {
            using var document = YamlToJson.Convert(nodes, root);
            return document.RootElement.GetRawText();
        }
    }

    private static Outcome Result(string? refusal)
    {
        LastRefusal = refusal;
        return refusal is null ? Outcome.Read : Outcome.Refused;
    }

    /// <summary>A refusal is one line of text: a multi-line or empty message is a finding too.</summary>
    private static string Located(string message) =>
        message.Length == 0 || message.AsSpan().IndexOfAny('\r', '\n') >= 0
            ? throw new InvalidOperationException($"refusal is not one line of text: \"{message}\"")
            : message;

    private static ReadOnlySequence<byte> TwoSegments(byte[] input)
    {
        if (input.Length < 2)
        {
            return new ReadOnlySequence<byte>(input);
        }

        var first = new Segment(input.AsMemory(0, input.Length / 2), 0);
        var second = first.Append(input.AsMemory(input.Length / 2));
        return new ReadOnlySequence<byte>(first, 0, second, second.Memory.Length);
    }

    private static Baseline LoadExampleBaseline()
    {
        var folder = Path.Combine(BuiltInExample.ExamplesFolder, "gitops");
        var files = Directory.EnumerateFiles(folder, "*.yaml", SearchOption.AllDirectories)
            .Select(file => new ManifestFile(Path.GetRelativePath(folder, file).Replace('\\', '/'), File.ReadAllText(file)))
            .OrderBy(file => file.Path, StringComparer.Ordinal)
            .ToList();
        return BaselineLoader.Load(new string('0', 40), files, [], new GitSettings(), DateTimeOffset.UnixEpoch).Baseline;
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
