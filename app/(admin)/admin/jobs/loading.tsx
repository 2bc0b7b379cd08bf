import { PageSkeleton } from "@/components/page-skeleton";

/** Shown while the recent jobs load. */
export default function Loading() {
  return <PageSkeleton cards={1} />;
}
