using AdmissionGuard.Core;

namespace AdmissionGuard.Admission;

/// <summary>An AdmissionReview that cannot be answered: HTTP 400 with this one-line reason, whatever the request held.</summary>
public sealed class BadReviewException(string reason) : Exception(Core.Excerpt.Line(reason, MaxReasonBytes))
{
    /// <summary>The reason and its line feed make a body of at most 512 bytes.</summary>
    public const int MaxReasonBytes = 511;
}
