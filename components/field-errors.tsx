"use client";

import { createContext, useContext } from "react";

/** The field errors of the form's last answer, by field name: each Field shows its own. */
export const FieldErrors = createContext<Record<string, string>>({});

export function useFieldError(name: string): string | undefined {
  return useContext(FieldErrors)[name];
}
