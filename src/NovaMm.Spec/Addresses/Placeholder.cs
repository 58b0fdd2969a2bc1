namespace NovaMm.Spec;
