using System.Collections.Immutable;
using AdmissionGuard.Core.Policy;

namespace AdmissionGuard.Core.Decisions;

/// <summary>
/// The decision rules as one pure function: request, baseline, settings and clock in,
/// allow or deny (with the reason and the message people read) out.
/// </summary>
public static class Decide
{
    public static Decision Admission(AdmissionInput input, Baseline? baseline, DecisionSettings settings, DateTimeOffset now)
    {
        var mode = settings.ModeFor(input.Namespace);

        // Rule 1: an excluded or ungoverned namespace.
        if (!settings.IsGoverned(input.Namespace))
        {
            return Allow(DecisionReason.NamespaceNotGoverned, mode);
        }

        // Rule 2: the GitOps accounts, and Kubernetes' own deleters.
        if (settings.Trusted.IsTrusted(input.User))
        {
            return Allow(DecisionReason.TrustedUser, mode) with
            {
                BaselineLooksStale = baseline is not null && DiffersFromBaseline(input, baseline, settings),
            };
        }

        if (input.Operation == Operation.Delete && settings.Trusted.IsSystemDeleter(input.User))
        {
            return Allow(DecisionReason.SystemDeleter, mode);
        }

        if (input.Operation == Operation.Connect)
        {
            return Allow(DecisionReason.NotAWrite, mode);
        }

        // Rules 3-6 and 9: what would happen without break-glass.
        var verdict = baseline is null ? WithoutBaseline(input, settings) : Judge(input, baseline, settings);
        if (verdict.Allowed)
        {
            return verdict.Mode == mode ? verdict : verdict with { Mode = mode };
        }

        // Rule 7: break-glass counts only when it is what lets the change through.
        var annotated = input.Operation == Operation.Delete ? input.OldObject : input.Object;
        var breakGlass = BreakGlass.Evaluate(annotated, input.User, settings.BreakGlass, now);
        if (breakGlass.Valid)
        {
            var message = MessageBounds.Apply(
                $"Break-glass by {User(input)} until {BreakGlass.Format(breakGlass.Expires!.Value)}: {Excerpt.Quoted(breakGlass.Reason)}.\n"
                + verdict.Message + "\nThis change is outside Git: restore Git as the source of truth when the incident is over.");
            return verdict with { Allowed = true, Reason = DecisionReason.BreakGlass, Mode = mode, Message = message, Warnings = WarningLines.From(message) };
        }

        var refusal = breakGlass.Present ? $"\nBreak-glass not honoured: {breakGlass.Refusal}." : "";

        // Rule 8. The change goes through, so how to break glass is not worth a warning line.
        if (mode == GuardMode.Warn)
        {
            var warning = MessageBounds.Apply("AdmissionGuard warn mode: allowed, but enforce mode would deny it:\n" + verdict.Message + refusal);
            return verdict with { Allowed = true, Mode = mode, Message = warning, Warnings = WarningLines.From(warning), Warned = true };
        }

        var denial = MessageBounds.Apply(verdict.Message + (breakGlass.Present ? refusal : "\n" + BreakGlassHint(input, settings.BreakGlass)));
        return verdict with { Mode = mode, Message = denial };
    }

    /// <summary>
    /// A review of another resource: the webhook configuration sends the guard what it does not govern. Allowed, so a
    /// mistake there cannot block the cluster, with a warning that the rules need fixing.
    /// </summary>
    public static Decision OtherResource(string resource, GuardMode mode)
    {
        var warning = $"AdmissionGuard allowed {Excerpt.Of(resource, 30)} unreviewed; it reviews only networkpolicies: fix the webhook rules";
        return new Decision(true, DecisionReason.NotANetworkPolicy, mode, warning, WarningLines.From(warning));
    }

    private static Decision Judge(AdmissionInput input, Baseline baseline, DecisionSettings settings)
    {
        var declared = baseline.Find(input.Id);
        switch (input.Operation)
        {
            case Operation.Delete when declared is null:
                return Allow(DecisionReason.UnmanagedAllowed);
            case Operation.Delete:
                return Deny(
                    DecisionReason.DeleteDeclaredInGit,
                    $"{Subject(input)} is declared in Git ({baseline.Location(declared)}); it can only be deleted through Git.",
                    $"Fix: remove it from {declared.SourcePath} in Git and let the GitOps sync delete it.");
        }

        var proposed = input.Object!;
        if (declared is not null && Equivalent(proposed, declared.Policy, settings))
        {
            return Allow(DecisionReason.MatchesGit);
        }

        if (input.Operation == Operation.Update && input.OldObject is { } old && Equivalent(proposed, old, settings))
        {
            return Allow(DecisionReason.GovernedStateUnchanged);
        }

        if (declared is null)
        {
            return settings.UnmanagedObjects == Fallback.Allow
                ? Allow(DecisionReason.UnmanagedAllowed)
                : Deny(
                    DecisionReason.UnmanagedDenied,
                    $"{Subject(input)} is not declared in Git ({baseline.Ref}@{baseline.ShortCommit}); policies outside Git are not allowed in namespace {Excerpt.Of(input.Namespace)}.",
                    "Fix: add it to the GitOps repository and let the GitOps sync create it.");
        }

        var lines = new List<string> { $"{Subject(input)} differs from Git ({baseline.Location(declared)}):" };
        var differences = PolicyDiff.Between(declared.Policy, proposed, settings.CompareMetadata);
        lines.AddRange(differences.Select(d => MessageBounds.DifferencePrefix + d));
        if (input.OldObject is { } live && !Equivalent(live, declared.Policy, settings))
        {
            lines.Add("Note: the live object already differs from Git (drift); this change does not restore it.");
        }

        lines.Add($"Fix: change {declared.SourcePath} in Git and let the GitOps sync apply it.");
        return Deny(DecisionReason.DiffersFromGit, [.. lines]) with { Differences = differences.Length };
    }

    private static Decision WithoutBaseline(AdmissionInput input, DecisionSettings settings) =>
        settings.WhenBaselineUnavailable == Fallback.Allow
            ? Allow(DecisionReason.BaselineUnavailableAllowed) with
            {
                Message = "AdmissionGuard has not loaded its Git baseline yet; allowed (WhenBaselineUnavailable=Allow).",
                Warnings = ["AdmissionGuard has not loaded its Git baseline yet; allowed (WhenBaselineUnavailable=Allow)."],
            }
            : Deny(
                DecisionReason.BaselineUnavailableDenied,
                $"{Subject(input)}: AdmissionGuard has not loaded its Git baseline yet, so changes outside GitOps are denied.",
                "Fix: retry shortly; if it persists, check the guard's /status and logs for the Git error.");

    private static bool DiffersFromBaseline(AdmissionInput input, Baseline baseline, DecisionSettings settings)
    {
        var declared = baseline.Find(input.Id);
        return input.Operation switch
        {
            Operation.Delete => declared is not null,
            Operation.Create or Operation.Update => declared is null || !Equivalent(input.Object!, declared.Policy, settings),
            _ => false,
        };
    }

    /// <summary>Same governed state: spec, plus the governed labels and annotations when metadata is compared.</summary>
    public static bool Equivalent(CanonicalPolicy left, CanonicalPolicy right, DecisionSettings settings) =>
        left.Spec.Equals(right.Spec)
        && (settings.CompareMetadata is not { } filter
            || (filter.Same(left.Labels, right.Labels) && filter.Same(left.Annotations, right.Annotations)));

    private static string BreakGlassHint(AdmissionInput input, BreakGlassSettings settings)
    {
        var groups = string.Join(", ", settings.AllowedGroups);
        var ahead = settings.MaxDuration >= TimeSpan.FromHours(1) ? "1hour" : $"{Math.Max(1, (int)settings.MaxDuration.TotalMinutes)}minutes";
        var annotations = $"{settings.Annotation}=\"<incident and reason>\" {settings.ExpiresAnnotation}=$(date -u -d +{ahead} +%FT%TZ)";
        return input.Operation == Operation.Create
            ? $"Emergency only ({groups}, at most {BreakGlass.Hours(settings.MaxDuration)}): add to its metadata.annotations {annotations}"
            : $"Emergency only ({groups}, at most {BreakGlass.Hours(settings.MaxDuration)}): kubectl annotate networkpolicy -n {Excerpt.Of(input.Namespace)} {Excerpt.Of(input.Name, NameLength)} {annotations}, then retry.";
    }

    /// <summary>Names are at most 253 characters at the API server; only a request sent around it has longer ones.</summary>
    private const int NameLength = 260;

    private static string Subject(AdmissionInput input) => $"NetworkPolicy {Excerpt.Of(input.Namespace)}/{Excerpt.Of(input.Name, NameLength)}";

    private static string User(AdmissionInput input) => Excerpt.Of(input.User.Username, BreakGlass.UserLength);

    /// <summary>Plain allows carry nothing request-specific, so every request shares them.</summary>
    private static readonly Decision[,] PlainAllows = CreatePlainAllows();

    private static Decision[,] CreatePlainAllows()
    {
        var reasons = Enum.GetValues<DecisionReason>();
        var modes = Enum.GetValues<GuardMode>();
        var allows = new Decision[reasons.Length, modes.Length];
        foreach (var reason in reasons)
        {
            foreach (var mode in modes)
            {
                allows[(int)reason, (int)mode] = new Decision(true, reason, mode, "", []);
            }
        }

        return allows;
    }

    private static Decision Allow(DecisionReason reason, GuardMode mode = GuardMode.Enforce) => PlainAllows[(int)reason, (int)mode];

    private static Decision Deny(DecisionReason reason, params string[] lines) => new(false, reason, GuardMode.Enforce, string.Join('\n', lines), []);
}
