namespace AdmissionGuard.Admission;

/// <summary>An AdmissionReview that cannot be answered: HTTP 400 with this one-line reason.</summary>
public sealed class BadReviewException(string reason) : Exception(reason);
