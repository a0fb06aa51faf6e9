using AdmissionGuard.Git;

namespace AdmissionGuard.Hosting;

/// <summary>
/// The <c>AdmissionGuard</c> configuration section as operators write it. Lists are null until
/// configured (the binder appends to lists initialised in code); <see cref="SettingsCompiler"/>
/// validates everything and applies the defaults.
/// </summary>
public sealed class GuardOptions
{
    public const string Section = "AdmissionGuard";

    public string? Mode { get; set; }

    public Dictionary<string, string>? NamespaceModes { get; set; }

    /// <summary>
    /// More namespace modes, each written <c>pattern=Mode</c>: a ConfigMap key cannot hold the <c>*</c> of a
    /// pattern, so <see cref="NamespaceModes"/> cannot take one from there.
    /// </summary>
    public List<string>? NamespaceModeRules { get; set; }

    public GitSettings Git { get; set; } = new();

    public WebhookOptions Webhook { get; set; } = new();

    public TrustedOptions Trusted { get; set; } = new();

    public BreakGlassOptions BreakGlass { get; set; } = new();

    public List<string>? GovernedNamespaces { get; set; }

    public List<string>? ExcludedNamespaces { get; set; }

    public string? UnmanagedObjects { get; set; }

    public string? CompareMetadata { get; set; }

    public List<string>? IgnoredMetadataKeys { get; set; }

    public string? WhenBaselineUnavailable { get; set; }

    /// <summary>No longer used (log lines are written as they come, by a background writer); accepted so that a configuration setting it still starts, with a warning.</summary>
    public string? LogFlushInterval { get; set; }
}

public sealed class WebhookOptions
{
    /// <summary>PEM file of the CAs whose client certificates may call the webhook port; unset, any client may.</summary>
    public string? ClientCa { get; set; }
}

public sealed class TrustedOptions
{
    public List<string>? Users { get; set; }

    public List<string>? Groups { get; set; }

    public List<string>? SystemDeleters { get; set; }
}

public sealed class BreakGlassOptions
{
    public string? Annotation { get; set; }

    public string? ExpiresAnnotation { get; set; }

    public string? MaxDuration { get; set; }

    public List<string>? AllowedGroups { get; set; }
}
