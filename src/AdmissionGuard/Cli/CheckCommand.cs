using System.Buffers;
using System.CommandLine;
using System.CommandLine.Invocation;
using System.Text;
using System.Text.Json;
using AdmissionGuard.Admission;
using AdmissionGuard.Core.Decisions;
using AdmissionGuard.Git;
using AdmissionGuard.Hosting;

namespace AdmissionGuard.Cli;

/// <summary>
/// <c>admissionguard check</c>: decides one AdmissionReview file offline against a Git repository,
/// with the same settings as <c>serve</c>, and prints the response. Exit 0 allowed, 1 denied, 2 error.
/// </summary>
public static class CheckCommand
{
    public static Command Create()
    {
        var review = new Option<FileInfo>("--review")
        {
            Description = "AdmissionReview JSON file, as the API server sends it (see examples/reviews)",
            HelpName = "FILE",
            Required = true,
        };
        var repo = new Option<string>("--repo") { Description = "Git repository (path, file:// or https:// URL); default: AdmissionGuard:Git:Repository, else the built-in example", HelpName = "URL|PATH" };
        var gitRef = new Option<string>("--ref") { Description = "branch, tag or commit; default: AdmissionGuard:Git:Ref (main)", HelpName = "REF" };
        var command = new Command("check", "Decide one AdmissionReview offline and print the response. Exit code: 0 allowed (Warn mode included), 1 denied, 2 error.")
        {
            review,
            repo,
            gitRef,
        };
        // Configuration arguments reach the verb unmatched; VerbArguments refuses any other unmatched word.
        command.TreatUnmatchedTokensAsErrors = false;
        command.Action = new CheckAction((result, configurationArgs) => Run(
            result.GetValue(review)!,
            result.GetValue(repo),
            result.GetValue(gitRef),
            configurationArgs,
            result.InvocationConfiguration.Output,
            result.InvocationConfiguration.Error));
        return command;
    }

    /// <summary>Runs even when parsing failed, so that a usage error is exit 2 (not 1, which means denied).</summary>
    private sealed class CheckAction(Func<ParseResult, string[], int> run) : SynchronousCommandLineAction
    {
        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parseResult)
        {
            var errors = parseResult.InvocationConfiguration.Error;
            var arguments = VerbArguments.Of(parseResult);

            // An unknown word first: a mistyped --review also makes --review missing, and the typo is the news.
            if (arguments.UsageError is { } usage)
            {
                errors.WriteLine(usage);
                return 2;
            }

            if (parseResult.Errors.Count > 0)
            {
                errors.WriteLine($"admissionguard check: {parseResult.Errors[0].Message.ReplaceLineEndings(" ")} (see admissionguard check --help)");
                return 2;
            }

            return run(parseResult, [.. arguments.Configuration]);
        }
    }

    public static int Run(FileInfo reviewFile, string? repository, string? gitRef, string[] configurationArgs, TextWriter output, TextWriter errors)
    {
        try
        {
            var overrides = new Dictionary<string, string?>();
            if (repository is not null)
            {
                overrides[$"{GuardOptions.Section}:Git:Repository"] = repository;
            }

            if (gitRef is not null)
            {
                overrides[$"{GuardOptions.Section}:Git:Ref"] = gitRef;
            }

            var options = GuardConfiguration.ReadOptions(configurationArgs, overrides);
            var settings = SettingsCompiler.Compile(options, out var problems);
            if (problems.Count > 0)
            {
                throw new InvalidSettingsException(problems);
            }

            if (!reviewFile.Exists)
            {
                throw new FileNotFoundException($"review file not found: {reviewFile.FullName}");
            }

            var request = AdmissionReviewReader.Read(new ReadOnlySequence<byte>(File.ReadAllBytes(reviewFile.FullName)));
            var baseline = new GitBaselineSource(options.Git, TimeProvider.System).FetchAndLoad(DateTimeOffset.UtcNow);
            var decision = request.Input is { } input
                ? Decide.Admission(input, baseline, settings, DateTimeOffset.UtcNow)
                : Decide.OtherResource(request.Resource, settings.Mode);

            output.WriteLine(Indented(request.Uid, decision));
            errors.WriteLine($"{decision.Result}: {request.Input?.Operation.ToString().ToUpperInvariant()} {request.Input?.Id} against {baseline.Ref}@{baseline.ShortCommit} ({decision.Reason})");
            if (decision.Message.Length > 0)
            {
                errors.WriteLine(decision.Message);
            }

            foreach (var notice in baseline.Notices)
            {
                errors.WriteLine($"note: {notice}");
            }

            return decision.Allowed ? 0 : 1;
        }
        catch (Exception e) when (e is BadReviewException or BaselineLoadException or InvalidSettingsException or IOException
            or UnauthorizedAccessException or LibGit2Sharp.LibGit2SharpException or InvalidOperationException
            or Polly.CircuitBreaker.BrokenCircuitException or Polly.Timeout.TimeoutRejectedException)
        {
            errors.WriteLine($"admissionguard check: {GitBaselineSource.Describe(e)}");
            return 2;
        }
    }

    private static string Indented(string uid, Decision decision)
    {
        var buffer = new ArrayBufferWriter<byte>();
        AdmissionResponseWriter.Write(buffer, uid, decision);
        using var document = JsonDocument.Parse(buffer.WrittenMemory);
        var indented = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(indented, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            document.RootElement.WriteTo(writer);
        }

        return Encoding.UTF8.GetString(indented.WrittenSpan);
    }
}

