namespace NovaMm.Driver.SelfTests;

/// <summary>The outcome of one self-test.</summary>
/// <param name="Suite">The suite, e.g. <c>PRAMIN</c>.</param>
/// <param name="Name">What the test checks.</param>
/// <param name="Passed">Whether it passed.</param>
/// <param name="Detail">What was seen (values, or the failure).</param>
public sealed record SelfTestResult(string Suite, string Name, bool Passed, string Detail);
